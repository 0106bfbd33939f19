"""The seed library in fixtures/ loads, every message parses, and exports round trip."""

import json
import re
from io import StringIO

import pytest
from django.core.management import call_command

from sipflows.models import Flow, Step
from sipflows.sip.flowdoc import parse_documents
from sipflows.sip.lint import lint_flow
from sipflows.sip.message import parse_message
from sipflows.sip.rfc5359 import FLOW_SLOTS
from sipflows.sip.rfcreader import read_call_flows
from tests.conftest import FIXTURES

FIXTURE_FILES = sorted(FIXTURES.glob("*.yaml"))
SLOTS = {slot.slug: slot for slot in FLOW_SLOTS}


def test_the_three_foundation_flows_are_in_the_library():
    names = {path.stem for path in FIXTURE_FILES}
    assert {"call-hold", "incoming-call-screening", "call-pickup"} <= names


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_file_is_named_after_its_rfc_5359_slot(path):
    assert path.stem in SLOTS


def test_every_message_parses_without_errors(library):
    problems = {
        f"{step.flow.slug} {step.label}": [p.message for p in parsed.problems]
        for step in Step.objects.filter(kind="message").select_related("flow")
        if (parsed := parse_message(step.message)).problems
    }
    assert problems == {}


def test_every_step_is_explained_in_both_languages(library):
    missing = [
        f"{step.flow.slug} {step.label}"
        for step in Step.objects.select_related("flow")
        if not (step.annotation.get("en") and step.annotation.get("zh"))
    ]
    assert missing == []


def test_json_export_of_the_library_round_trips(library, tmp_path):
    out = StringIO()
    call_command("export_flows", "--format", "json", stdout=out)
    path = tmp_path / "library.json"
    path.write_text(out.getvalue(), encoding="utf-8")
    call_command("import_flows", str(path), stdout=StringIO())
    again = StringIO()
    call_command("export_flows", "--format", "json", stdout=again)
    assert again.getvalue() == out.getvalue()
    assert len(json.loads(out.getvalue())) == len(FIXTURE_FILES)


RFC_5359 = FIXTURES.parent.parent / "shared" / "reference" / "rfc5359.txt"
HEADING = re.compile(r"^ {2,8}(F\d+) +(.+?)(?: *-> *(.+?))? *$")


def rfc_listing_headings(section: str) -> dict[str, tuple[str, str | None]]:
    """'F7' -> ('INVITE  Bill', 'Alice') from the section's Message Details listing.

    A heading without an arrow ("F2 486 Busy Here") gives no direction: (text, None).
    """
    text = RFC_5359.read_text(encoding="utf-8")
    start = re.search(rf"^{re.escape(section)}\.  ", text, re.M).start()
    end = re.search(r"^(2\.\d+|3)\.  ", text[start + 10 :], re.M).start() + start + 10
    start = text.index("Message Details", start)
    return {
        m.group(1): (m.group(2), m.group(3))
        for line in text[start:end].splitlines()
        if (m := HEADING.match(line))
    }


def aliases(participant: str) -> set[str]:
    # The listings say "Proxy 1" where the diagrams say "Proxy", "B1" for "User B1".
    name = participant.lower()
    return {name, f"{name} 1", name.split()[-1]}


def test_start_lines_and_directions_agree_with_the_rfc_listings(library):
    disagreements = []
    for flow in Flow.objects.filter(source_document="RFC 5359"):
        headings = rfc_listing_headings(flow.source_section)
        corrected = set(flow.notes.filter(kind="rfc-defect").values_list("step__label", flat=True))
        for step in flow.steps.filter(kind="message").select_related("sender", "receiver"):
            before_arrow, receiver = headings[step.label]
            start = parse_message(step.message).summary.split()[0]
            agrees = before_arrow.split()[0].strip("()") == start and (
                receiver is None
                or any(before_arrow.lower().endswith(a) for a in aliases(step.sender.name))
                and receiver.lower() in aliases(step.receiver.name)
            )
            if not agrees and step.label not in corrected:
                disagreements.append(f"{flow.slug} {step.label}: RFC: {before_arrow} -> {receiver}")
    assert disagreements == []


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: p.stem)
def test_fixture_is_exactly_what_export_prints(path, db):
    """Fixtures are kept in export form, so `export_flows SLUG` reproduces the file."""
    call_command("import_flows", str(path), stdout=StringIO())
    out = StringIO()
    call_command("export_flows", path.stem, stdout=out)
    assert out.getvalue() == path.read_text(encoding="utf-8")


def test_the_corrected_library_checks_clean():
    """Every finding of the checker on the library is either fixed or explained by a note."""
    findings = {
        path.stem: [f"{f.step} {f.rule}: {f.message}" for f in lint_flow(document)]
        for path in FIXTURE_FILES
        for document in parse_documents(path.read_bytes(), name=path.name)
    }
    assert {slug: found for slug, found in findings.items() if found} == {}


@pytest.fixture(scope="module")
def rfc_as_written():
    reading = read_call_flows(RFC_5359.read_text(encoding="utf-8"))
    findings = set()
    for document in reading.flows:
        section = document["source"]["section"]
        captions = {c.label: c.text for c in reading.captions if c.section == section}
        findings |= {(section, f.step, f.rule) for f in lint_flow(document, captions=captions)}
    return findings


@pytest.mark.parametrize(
    "section, step, rule",
    [
        ("2.13", "F11", "response-path"),  # a 200 OK whose only Via is Alice's goes to Alice
        ("2.16", "F7", "replaces-tags"),  # from-tag 314578 is nobody's tag
        ("2.16", "F12", "ack"),  # ACK for the 487 with a new branch
        ("2.10", "F9", "label-start-line"),  # drawn as 180 Ringing, written as 200 OK
        ("2.17", "F8", "dialog-info-version"),  # every NOTIFY says version="0"
    ],
)
def test_the_checker_finds_the_known_defects_of_the_rfc_as_written(
    rfc_as_written, section, step, rule
):
    assert (section, step, rule) in rfc_as_written


def test_the_checker_finds_most_defects_the_library_documents(rfc_as_written):
    located = {(section, step) for section, step, _ in rfc_as_written}
    documented = [
        (document["source"]["section"], note["step"])
        for path in FIXTURE_FILES
        for document in parse_documents(path.read_bytes(), name=path.name)
        for note in document.get("notes", [])
        if note["kind"] == "rfc-defect" and note.get("step")
    ]
    found = [place for place in documented if place in located]
    assert len(found) >= 0.9 * len(documented)


def test_the_library_has_every_message_of_rfc_5359():
    reading = read_call_flows(RFC_5359.read_text(encoding="utf-8"))
    in_rfc = {
        d["source"]["section"]: {s["label"] for s in d["steps"] if s["kind"] == "message"}
        for d in reading.flows
    }
    in_library = {
        d["source"]["section"]: {s["label"] for s in d["steps"] if s["kind"] == "message"}
        for path in FIXTURE_FILES
        for d in parse_documents(path.read_bytes(), name=path.name)
    }
    assert in_library == in_rfc
    assert sum(map(len, in_rfc.values())) == 324
