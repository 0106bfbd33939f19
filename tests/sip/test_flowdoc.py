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
