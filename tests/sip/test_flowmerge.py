import copy

from sipflows.sip.flowdoc import parse_documents, validate_document
from sipflows.sip.flowmerge import MINE, THEIRS, merge_choices, merge_documents
from tests.samples import SAMPLE_FLOW

BASE = parse_documents(SAMPLE_FLOW, name="sample")[0]


def edited(change):
    document = copy.deepcopy(BASE)
    change(document)
    return validate_document(document, name="edited")


def choices_by_name(theirs, mine):
    return {c.name: c for c in merge_choices(BASE, theirs, mine)}


def test_a_field_only_they_changed_defaults_to_theirs():
    theirs = edited(lambda d: d["steps"][0]["annotation"].update(en="Theirs"))
    mine = edited(lambda d: d["steps"][1]["annotation"].update(en="Mine"))
    choices = choices_by_name(theirs, mine)
    assert choices["merge:step:F1:annotation"].default == THEIRS
    assert choices["merge:step:F2:annotation"].default == MINE


def test_the_default_merge_keeps_both_changes():
    theirs = edited(lambda d: d["steps"][0]["annotation"].update(en="Theirs"))
    mine = edited(lambda d: d["steps"][1]["annotation"].update(en="Mine"))
    merged = merge_documents(theirs, mine, {}, merge_choices(BASE, theirs, mine))
    assert [s.get("annotation", {}).get("en") for s in merged["steps"][:2]] == ["Theirs", "Mine"]


def test_a_field_both_changed_defaults_to_mine_and_can_take_theirs():
    theirs = edited(lambda d: d["steps"][0]["annotation"].update(en="Theirs"))
    mine = edited(lambda d: d["steps"][0]["annotation"].update(en="Mine"))
    choices = merge_choices(BASE, theirs, mine)
    assert [c.default for c in choices] == [MINE]
    merged = merge_documents(theirs, mine, {choices[0].name: THEIRS}, choices)
    assert merged["steps"][0]["annotation"]["en"] == "Theirs"


def test_a_step_they_added_is_kept_in_its_place():
    event = {"label": "E9", "kind": "event", "text": {"en": "Bob thinks"}}
    theirs = edited(lambda d: d["steps"].insert(1, event))
    mine = edited(lambda d: d["steps"][0]["annotation"].update(en="Mine"))
    merged = merge_documents(theirs, mine, {}, merge_choices(BASE, theirs, mine))
    assert [s["label"] for s in merged["steps"]] == ["F1", "E9", "F2", "M1", "E1"]


def test_a_step_i_removed_stays_removed_unless_theirs_is_chosen():
    theirs = edited(lambda d: d["participants"][0].update(name="Alicia"))
    mine = edited(lambda d: d["steps"].pop(3))
    choices = merge_choices(BASE, theirs, mine)
    assert [s["label"] for s in merge_documents(theirs, mine, {}, choices)["steps"]] == [
        "F1",
        "F2",
        "M1",
    ]
    chosen = {"merge:step:E1:": THEIRS}
    kept = merge_documents(theirs, mine, chosen, choices)
    assert [s["label"] for s in kept["steps"]] == ["F1", "F2", "M1", "E1"]
    assert kept["participants"][0]["name"] == "Alicia"
