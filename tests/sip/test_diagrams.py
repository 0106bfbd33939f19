import re
import struct
import subprocess
import xml.etree.ElementTree as ET

import pytest

from sipflows.sip import diagrams
from tests.sip.wire import SLUGS, library_document

SVG = "{http://www.w3.org/2000/svg}"


def svg_tree(slug, lang="en"):
    return ET.fromstring(diagrams.ladder_svg(library_document(slug), lang))


def texts(tree):
    return ["".join(t.itertext()) for t in tree.iter(f"{SVG}text")]


def test_the_svg_shows_every_lane_and_every_step():
    doc = library_document("call-pickup")
    shown = texts(svg_tree("call-pickup"))
    assert all(lane["name"] in shown for lane in doc["participants"])
    assert all(any(t.startswith(s["label"] + " ") for t in shown) for s in doc["steps"])


def test_the_svg_carries_its_styles_and_needs_nothing_else():
    text = diagrams.ladder_svg(library_document("call-hold"))
    style = svg_tree("call-hold").find(f"{SVG}style").text
    assert ".step-media .step-line" in style and "var(" not in style
    assert "href" not in text and "url(" not in text


def test_media_and_event_captions_follow_the_language():
    shown = texts(svg_tree("music-on-hold", "zh"))
    doc = library_document("music-on-hold")
    event = next(s for s in doc["steps"] if s["kind"] == "event")
    assert f"{event['label']} {event['text']['zh']}" in shown
    assert "用户代理" in shown


def test_the_png_is_the_svg_at_twice_its_size():
    doc = library_document("call-hold")
    png = diagrams.ladder_png(doc)
    width, height = struct.unpack(">II", png[16:24])
    tree = svg_tree("call-hold")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (width, height) == (2 * int(tree.get("width")), 2 * int(tree.get("height")))


def test_mermaid_numbers_messages_by_their_f_labels():
    text = diagrams.mermaid(library_document("call-hold"))
    assert "    alice->>proxy: F1 INVITE" in text.splitlines()
    assert "    participant proxy as Proxy" in text.splitlines()


def test_mermaid_keeps_its_separators_out_of_texts():
    text = diagrams.mermaid(library_document("music-on-hold"))
    body = [line for line in text.splitlines()[2:]]
    assert all(";" not in re.sub(r"#\w+;", "", line) for line in body)


def test_mermaid_shows_media_legs_events_and_notes():
    lines = diagrams.mermaid(library_document("music-on-hold")).splitlines()
    assert "    alice<<-->>bob: M1 Two-way RTP (media both ways)" in lines
    assert any(line.startswith("    Note over alice,music_server: E1 ") for line in lines)
    assert any(re.match(r"    Note over \w+,\w+: N\d+ \(RFC defect\): ", line) for line in lines)


def test_plantuml_makes_events_dividers():
    lines = diagrams.plantuml(library_document("music-on-hold")).splitlines()
    assert "== E1 Bob places Alice on hold ==" in lines


@pytest.fixture(scope="module")
def plantuml_svgs(tmp_path_factory):
    """Every flow rendered by Debian's plantuml in one run (it starts a JVM)."""
    folder = tmp_path_factory.mktemp("plantuml")
    for slug in SLUGS:
        (folder / f"{slug}.puml").write_text(diagrams.plantuml(library_document(slug), "zh"))
    run = subprocess.run(
        ["plantuml", "-tsvg", "-failfast2", *sorted(map(str, folder.glob("*.puml")))],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return run, {slug: (folder / f"{slug}.svg") for slug in SLUGS}


@pytest.mark.parametrize("slug", SLUGS)
def test_plantuml_renders_the_flow_with_its_participants(plantuml_svgs, slug):
    run, files = plantuml_svgs
    assert run.returncode == 0, run.stderr
    svg = files[slug].read_text()
    shown = texts(ET.fromstring(svg))
    assert not any("Syntax Error" in t for t in shown)
    assert all(lane["name"] in shown for lane in library_document(slug)["participants"])
