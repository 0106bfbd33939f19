"""The Markdown subset: what editors may write, and what the library's texts stay."""

from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from sipflows.markup import render_markup

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def tags(html: str) -> list[str]:
    return [tag.name for tag in BeautifulSoup(html, "html.parser").find_all(True)]


def library_texts():
    for path in sorted(FIXTURES.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts = [document.get("summary") or {}]
        texts += [step.get("annotation") or {} for step in document["steps"]]
        texts += [note["discussion"] for note in document.get("notes", [])]
        for bilingual in texts:
            yield from bilingual.values()


def test_every_text_of_the_library_renders_as_plain_paragraphs_with_its_words():
    for original in library_texts():
        html = render_markup(original)
        assert set(tags(html)) <= {"p"}, original
        shown = BeautifulSoup(html, "html.parser").get_text()
        assert shown.split() == original.split(), original


@pytest.mark.parametrize(
    ("written", "tag"),
    [("*stress*", "em"), ("**strong**", "strong"), ("`Via`", "code"), ("- one\n- two", "ul")],
)
def test_the_subset_renders(written, tag):
    assert tag in tags(render_markup(written))


def test_asterisks_inside_words_are_text():
    assert tags(render_markup("64*T1 after the 1*DIGIT")) == ["p"]


def test_links_get_nofollow_noopener():
    link = BeautifulSoup(render_markup("[RFC](https://www.rfc-editor.org/)"), "html.parser").a
    assert link["href"] == "https://www.rfc-editor.org/"
    assert link["rel"] == ["nofollow", "noopener"]


@pytest.mark.parametrize(
    "payload",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '"><svg onload=alert(1)>',
        "[x](javascript:alert(1))",
        "[x](JaVaScRiPt:alert(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "<sips:bob@biloxi.example.com>",
    ],
)
def test_no_payload_becomes_markup(payload):
    html = render_markup(payload)
    assert set(tags(html)) <= {"p"}
    assert (
        "javascript"
        not in "".join(
            a.get("href", "") for a in BeautifulSoup(html, "html.parser").find_all("a")
        ).lower()
    )
