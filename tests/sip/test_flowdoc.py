import copy
import json

import pytest
import yaml

from sipflows.sip.flowdoc import (
    FlowDocumentError,
    dump_documents,
    normalize_message,
    parse_documents,
    validate_document,
)
from tests.samples import SAMPLE_FLOW


def load(document):
    return validate_document(document, name="test.yaml")


def test_messages_are_stored_with_crlf_and_a_header_terminator():
    assert normalize_message("OPTIONS sip:a@b SIP/2.0\nContent-Length: 0\n\n\n") == (
        "OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n"
    )


def test_message_with_body_keeps_its_blank_separator_and_ends_in_crlf():
    text = "INVITE sip:a@b SIP/2.0\nContent-Length: 5\n\nv=0\n"
    assert normalize_message(text) == "INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nv=0\r\n"


def test_yaml_export_reimports_to_the_same_document():
    (document,) = parse_documents(SAMPLE_FLOW, name="sample.yaml")
    text = dump_documents([document])
    assert parse_documents(text, name="again.yaml") == [document]
    assert dump_documents(parse_documents(text, name="again.yaml")) == text


def test_json_export_is_a_list_that_reimports_the_same():
    (document,) = parse_documents(SAMPLE_FLOW, name="sample.yaml")
    text = dump_documents([document], "json")
    assert isinstance(json.loads(text), list)
    assert parse_documents(text, name="again.json") == [document]


def test_yaml_export_writes_messages_as_readable_blocks():
    (document,) = parse_documents(SAMPLE_FLOW, name="sample.yaml")
    text = dump_documents([document])
    assert "message: |\n      INVITE sip:bob@biloxi.example.com SIP/2.0\n" in text
    assert "\\r" not in text


def test_media_and_event_steps_get_labels_when_the_document_has_none(sample_document):
    for step in sample_document["steps"]:
        if step["kind"] != "message":
            del step["label"]
    labels = [s["label"] for s in load(sample_document)["steps"]]
    assert labels == ["F1", "F2", "M1", "E1"]


def test_unknown_participant_names_the_step_and_key(sample_document):
    sample_document["steps"][1]["to"] = "carol"
    with pytest.raises(FlowDocumentError) as error:
        load(sample_document)
    assert str(error.value) == (
        "test.yaml (sample-call): step F2: key 'to': 'carol' is not a participant of this flow"
    )


def test_misspelt_key_is_reported_not_ignored(sample_document):
    sample_document["steps"][0]["anotation"] = sample_document["steps"][0].pop("annotation")
    with pytest.raises(FlowDocumentError, match="step F1: unknown key 'anotation'"):
        load(sample_document)


def test_duplicate_label_is_refused(sample_document):
    sample_document["steps"][1]["label"] = "F1"
    with pytest.raises(FlowDocumentError, match="label 'F1' is used twice"):
        load(sample_document)


def test_message_step_without_message_is_refused(sample_document):
    del sample_document["steps"][0]["message"]
    with pytest.raises(FlowDocumentError, match="step F1: key 'message'"):
        load(sample_document)


def test_defect_note_must_quote_the_rfc(sample_document):
    del sample_document["notes"][0]["as_written"]
    with pytest.raises(FlowDocumentError, match=r"notes\[0\].as_written"):
        load(sample_document)


def test_note_on_a_missing_step_is_refused(sample_document):
    sample_document["notes"][0]["step"] = "F99"
    with pytest.raises(FlowDocumentError, match="'F99' is not a step of this flow"):
        load(sample_document)


def test_bilingual_text_rejects_other_languages(sample_document):
    sample_document["title"]["fr"] = "Appel"
    with pytest.raises(
        FlowDocumentError, match="key 'title': must be a mapping with keys en and zh"
    ):
        load(sample_document)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("slug: [unclosed", "is not valid YAML"),
        ('{"slug": ', "is not valid JSON"),
        ("[]", "holds no flow document"),
        ("just a string", "must be a mapping"),
    ],
)
def test_unreadable_text_gets_a_clear_message(text, problem):
    with pytest.raises(FlowDocumentError, match=problem):
        parse_documents(text, name="bad.yaml")


def test_binary_input_is_refused_with_a_message():
    with pytest.raises(FlowDocumentError, match="is not UTF-8 text"):
        parse_documents(b"\xff\xfe\x00junk", name="junk.yaml")


def test_oversized_document_is_refused():
    with pytest.raises(FlowDocumentError, match="larger than"):
        parse_documents(b"#" * 3_000_000, name="huge.yaml")


def test_list_of_documents_names_the_bad_one(sample_document):
    second = yaml.safe_load(SAMPLE_FLOW)
    second["slug"] = "Not A Slug"
    text = json.dumps([sample_document, second])
    with pytest.raises(FlowDocumentError, match=r"^two.json\[1\]: key 'slug'"):
        parse_documents(text, name="two.json")


# --- hostile documents: each costs a message naming where, never a crash ------------------

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_yaml_aliases_are_refused_before_anything_expands():
    assert len(BILLION_LAUGHS.encode()) < 600
    with pytest.raises(FlowDocumentError, match=r"uses the YAML alias \*a \(line 2\)"):
        parse_documents(BILLION_LAUGHS, name="laughs.yaml")


def test_a_single_alias_is_refused_too(sample_document):
    text = yaml.safe_dump(sample_document).replace("name: Bob", "name: &who Bob", 1)
    text = text.replace("name: Alice", "name: *who", 1)
    with pytest.raises(FlowDocumentError, match=r"alias \*who"):
        parse_documents(text, name="alias.yaml")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("slug: " + "[" * 50_000 + "]" * 50_000, "nested more than 16 levels deep"),
        ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
        ("slug: " + "7" * 5_000, "is not valid YAML"),
        ('{"slug": ' + "7" * 5_000 + "}", "is not valid JSON"),
        ("1: one\nslug: x\n", "keys are names, not '1'"),
        ("? [a, b]\n: c\n", "is not valid YAML"),
    ],
)
def test_hostile_text_gets_a_message(text, problem):
    with pytest.raises(FlowDocumentError, match=problem):
        parse_documents(text, name="hostile.yaml")


@pytest.mark.parametrize(
    "spoil, where",
    [
        (lambda d: d["steps"][0].update(label=["F1"]), "step #1: key 'label'"),
        (lambda d: d["steps"][1].update(to=["bob"]), "step F2: key 'to': 'a list'"),
        (lambda d: d["steps"][1].update(to={"bob": 1}), "step F2: key 'to': 'a mapping'"),
        (lambda d: d["steps"][0].update(kind=["message"]), "step F1: key 'kind'"),
        (lambda d: d["steps"][2].update(media=[]), "step M1: key 'media'"),
        (lambda d: d["participants"][0].update(role={}), r"key 'participants\[0\].role'"),
        (
            lambda d: d["notes"][0].update(step=10**5000),
            r"key 'notes\[0\].step': 'a very long number'",
        ),
        (lambda d: d["notes"][0].update(key=["N1"]), r"key 'notes\[0\].key'"),
        (lambda d: d["notes"][0].update(kind={"a": 1}), r"key 'notes\[0\].kind'"),
        (lambda d: d["source"].update(section=10**5000), "key 'source.section'"),
        (lambda d: d["steps"][0]["annotation"].update({7: "x"}), "step F1: key 'annotation'"),
        (lambda d: d["steps"].__setitem__(1, [d["steps"][1]]), "step #2: must be a mapping"),
        (lambda d: d.update(participants={"alice": {}}), "key 'participants'"),
    ],
)
def test_wrong_shapes_name_the_step_and_key(sample_document, spoil, where):
    spoil(sample_document)
    with pytest.raises(FlowDocumentError, match=where):
        load(sample_document)


def test_deeply_nested_values_are_refused_without_recursing(sample_document):
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    sample_document["steps"][0]["annotation"] = {"en": deep}
    with pytest.raises(FlowDocumentError, match="step F1: key 'annotation'"):
        load(sample_document)


@pytest.mark.parametrize(
    "character, what", [("\x00", "a NUL character"), ("\ud800", "a lone surrogate")]
)
def test_text_no_database_can_store_is_refused(sample_document, character, what):
    sample_document["steps"][1]["annotation"]["zh"] = f"a{character}b"
    with pytest.raises(FlowDocumentError, match=f"step F2: key 'annotation.zh': holds {what}"):
        load(sample_document)


@pytest.mark.parametrize(
    "spoil, where",
    [
        (lambda d, n: d["participants"][0].update(name="A" * n), r"participants\[0\].name"),
        (lambda d, n: d["source"].update(document="R" * n), "source.document"),
        (lambda d, n: d["source"].update(section="9" * n), "source.section"),
        (lambda d, n: d["notes"][0].update(where="w" * n), r"notes\[0\].where"),
    ],
)
def test_text_longer_than_its_column_is_refused(sample_document, spoil, where):
    limits = {"name": 100, "document": 100, "section": 20, "where": 200}
    limit = next(v for k, v in limits.items() if where.endswith(k))
    accepted = copy.deepcopy(sample_document)
    spoil(accepted, limit)
    load(accepted)
    spoil(sample_document, limit + 1)
    with pytest.raises(FlowDocumentError, match=f"key '{where}': is {limit + 1} characters long"):
        load(sample_document)
