"""What changed between two flow documents, compared as a SIP reader thinks."""

import copy

import pytest
import yaml

from sipflows.sip.flowdiff import changed_spans, diff_documents, marked_pieces, message_lines
from sipflows.sip.flowdoc import validate_document
from tests.samples import SAMPLE_FLOW


@pytest.fixture
def old():
    return validate_document(yaml.safe_load(SAMPLE_FLOW), name="old")


def edited(document, edit):
    raw = copy.deepcopy(document)
    edit(raw)
    return validate_document(raw, name="new")


def by_key(items):
    return {item.key: item for item in items}


def test_the_same_document_differs_in_nothing(old):
    diff = diff_documents(old, copy.deepcopy(old))
    assert diff.is_empty
    assert all(item.status == "unchanged" for item in diff.steps)


def test_a_renamed_lane_is_changed_by_key(old):
    new = edited(old, lambda d: d["participants"][1].update(name="Robert"))
    lane = by_key(diff_documents(old, new).lanes)["bob"]
    assert lane.status == "changed"
    assert [(f.name, f.old, f.new) for f in lane.fields] == [("name", "Bob", "Robert")]


def test_an_inserted_step_is_added_and_the_others_stay_unchanged(old):
    trying = {
        "label": "F1a",
        "kind": "event",
        "text": {"en": "Bob thinks"},
    }
    new = edited(old, lambda d: d["steps"].insert(1, trying))
    diff = diff_documents(old, new)
    steps = by_key(diff.steps)
    assert steps["F1a"].status == "added"
    assert {k: s.status for k, s in steps.items() if k != "F1a"} == dict.fromkeys(
        ["F1", "F2", "M1", "E1"], "unchanged"
    )
    assert [s.key for s in diff.steps] == ["F1", "F1a", "F2", "M1", "E1"]
    assert diff.counts == {("step", "added"): 1}


def test_a_moved_step_is_moved_and_only_it(old):
    new = edited(old, lambda d: d["steps"].insert(0, d["steps"].pop(3)))
    diff = diff_documents(old, new)
    assert {s.key: s.status for s in diff.steps if s.status != "unchanged"} == {"E1": "moved"}


def test_a_deleted_step_is_removed_where_it_stood(old):
    new = edited(old, lambda d: d["steps"].pop(2))
    diff = diff_documents(old, new)
    assert [(s.key, s.status) for s in diff.steps][2] == ("M1", "removed")
    assert diff.counts == {("step", "removed"): 1}


def test_either_way_round_an_addition_is_a_removal(old):
    new = edited(old, lambda d: d["steps"].pop(2))
    assert by_key(diff_documents(new, old).steps)["M1"].status == "added"


def test_a_changed_message_line_marks_the_changed_characters(old):
    def retag(d):
        d["steps"][1]["message"] = d["steps"][1]["message"].replace("tag=3145678", "tag=99")

    new = edited(old, retag)
    step = by_key(diff_documents(old, new).steps)["F2"]
    assert [f.name for f in step.fields] == ["message"]
    changed = [line for line in step.message_lines if line.op != "equal"]
    assert [line.op for line in changed] == ["replace"]
    line = changed[0]
    old_pieces = marked_pieces(line.old, line.old_marks)
    new_pieces = marked_pieces(line.new, line.new_marks)
    kept_old = "".join(text for text, marked in old_pieces if not marked)
    kept_new = "".join(text for text, marked in new_pieces if not marked)
    assert kept_old == kept_new
    assert kept_old.startswith("To: Bob <sip:bob@biloxi.example.com>;tag=")
    assert "".join(text for text, marked in new_pieces if marked) in ("99", "9")
    assert len("".join(text for text, marked in old_pieces if marked)) >= 5


def test_added_and_removed_message_lines(old):
    def add_subject(d):
        d["steps"][0]["message"] = d["steps"][0]["message"].replace(
            "Max-Forwards: 70\r\n", "Max-Forwards: 70\r\nSubject: Lunch\r\n", 1
        )

    new = edited(old, add_subject)
    lines = by_key(diff_documents(old, new).steps)["F1"].message_lines
    assert [(line.op, line.new) for line in lines if line.op != "equal"] == [
        ("insert", "Subject: Lunch")
    ]
    back = by_key(diff_documents(new, old).steps)["F1"].message_lines
    assert [(line.op, line.old) for line in back if line.op != "equal"] == [
        ("delete", "Subject: Lunch")
    ]


def test_notes_are_lined_up_by_key(old):
    note = {"kind": "discussion", "discussion": {"en": "More."}, "key": "N3"}
    new = edited(old, lambda d: (d["notes"].pop(0), d["notes"].append(note)))
    notes = by_key(diff_documents(old, new).notes)
    assert (notes["N1"].status, notes["N2"].status, notes["N3"].status) == (
        "removed",
        "unchanged",
        "added",
    )


def test_a_changed_note_names_its_fields(old):
    new = edited(old, lambda d: d["notes"][1]["discussion"].update(en="Changed."))
    note = by_key(diff_documents(old, new).notes)["N2"]
    assert note.status == "changed" and [f.name for f in note.fields] == ["discussion"]


def test_flow_fields_are_compared(old):
    new = edited(old, lambda d: d.update(title={"en": "Renamed"}))
    assert [f.name for f in diff_documents(old, new).flow_fields] == ["title"]


def test_very_long_lines_are_marked_whole():
    old, new = "a" * 5000, "a" * 4999 + "b"
    assert changed_spans(old, new) == (((0, 5000),), ((0, 5000),))


def test_message_lines_of_a_new_message_are_all_inserted():
    lines = message_lines("", "BYE sip:bob@example.com SIP/2.0\r\n\r\n")
    assert [line.op for line in lines] == ["insert"]
