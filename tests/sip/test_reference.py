import re
from pathlib import Path

import pytest

from sipflows.sip.flowdoc import normalize_message, parse_documents
from sipflows.sip.message import COMPACT_FORMS
from sipflows.sip.reference import (
    KINDS,
    URI_CONTEXT,
    TokenUse,
    entry_for,
    message_explanations,
    missing_entries,
    reference,
    rfc_url,
    text_tokens,
    tip_id,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LIBRARY = [
    d for p in sorted(FIXTURES.glob("*.yaml")) for d in parse_documents(p.read_bytes(), name=p.name)
]
CJK = re.compile(r"[\u4e00-\u9fff]")

INVITE = normalize_message("""\
INVITE sips:bob@biloxi.example.com;user=phone SIP/2.0
Via: SIP/2.0/TLS client.atlanta.example.com:5061
 ;branch=z9hG4bK74bf9
From: Alice <sips:alice@atlanta.example.com>;tag=1234567
To: Bob <sips:bob@biloxi.example.com>
Call-ID: 12345600@atlanta.example.com
CSeq: 1 INVITE
Contact: <sips:a8342043f@atlanta.example.com;gr>;+sip.rendering="no";automata
Refer-To: <sips:carol@chicago.example.com?Replaces=1%40a%3Bto-tag%3D1&Require=replaces>
Supported: replaces, gruu
Content-Type: application/sdp
Content-Length: 0

v=0
m=audio 49170 RTP/AVP 0
a=sendonly
""")


def library_tokens() -> set[tuple[str, str, str]]:
    return {
        (use.kind, use.name, use.context)
        for document in LIBRARY
        for step in document["steps"]
        for use in text_tokens(step.get("message", ""))
    }


def test_every_token_of_the_library_has_an_entry():
    assert len(LIBRARY) == 18
    assert {kind for kind, _, _ in library_tokens()} == set(KINDS)
    for document in LIBRARY:
        assert missing_entries(document) == [], document["slug"]


def test_an_unknown_header_is_missing_from_the_reference(sample_document):
    step = sample_document["steps"][0]
    step["message"] = step["message"].replace("Max-Forwards: 70", "X-Queue-Position: 3")
    assert missing_entries(sample_document) == [TokenUse("header", "X-Queue-Position", 4)]


def test_a_known_parameter_in_a_header_it_is_not_explained_for_is_missing(sample_document):
    step = sample_document["steps"][0]
    step["message"] = step["message"].replace("Max-Forwards: 70", "Replaces: 1@a;tag=5")
    assert missing_entries(sample_document) == [TokenUse("param", "tag", 4, "Replaces")]


def test_each_missing_token_is_named_once(sample_document):
    for step in sample_document["steps"][:2]:
        step["message"] = step["message"].replace(
            "Content-Length: 0", "X-Once: 1\nContent-Length: 0"
        )
    assert [use.name for use in missing_entries(sample_document)] == ["X-Once"]


def test_every_entry_is_explained_in_english_and_chinese_with_an_rfc_section():
    for entries in reference().values():
        for entry in entries.values():
            assert entry.title["en"] and CJK.search(entry.title["zh"]), entry.name
            for meaning in entry.meanings:
                assert len(meaning.text["en"]) > 30, entry.name
                assert CJK.search(meaning.text["zh"]), entry.name
                assert meaning.rfc_url.startswith("https://www.rfc-editor.org/rfc/rfc"), entry.name


def test_compact_forms_are_the_parsers():
    for name, entry in reference()["header"].items():
        if entry.compact:
            assert COMPACT_FORMS[entry.compact] == name


def test_a_message_yields_its_tokens_with_where_they_are():
    uses = text_tokens(INVITE)
    assert TokenUse("method", "INVITE", 1) in uses
    assert TokenUse("param", "user", 1, URI_CONTEXT) in uses
    assert TokenUse("param", "branch", 2, "Via") in uses
    assert TokenUse("param", "tag", 4, "From") in uses
    assert TokenUse("param", "gr", 8, URI_CONTEXT) in uses
    assert TokenUse("sdp", "a=sendonly", 16) in uses


def test_feature_tags_in_contact_are_not_plain_parameters():
    kinds = {use.name: use.kind for use in text_tokens(INVITE)}
    assert kinds["+sip.rendering"] == kinds["automata"] == "feature-tag"


def test_headers_embedded_in_a_uri_are_headers():
    line_9 = [(u.kind, u.name) for u in text_tokens(INVITE) if u.line == 9]
    assert line_9 == [("header", "Refer-To"), ("header", "Replaces"), ("header", "Require")]


def test_option_tags_events_and_body_types_are_words_of_their_headers():
    uses = {(u.kind, u.name) for u in text_tokens(INVITE)}
    assert {("option-tag", "replaces"), ("option-tag", "gruu"), ("body", "application/sdp")} <= uses


def test_a_sipfrag_body_has_tokens_of_its_own():
    notify = normalize_message(
        "NOTIFY sips:a@b SIP/2.0\nEvent: refer\nContent-Type: message/sipfrag\n\n"
        "SIP/2.0 180 Ringing\n"
    )
    uses = {(u.kind, u.name) for u in text_tokens(notify)}
    assert {("event", "refer"), ("body", "message/sipfrag"), ("status", "180")} <= uses


def test_a_parameter_means_what_it_means_in_its_header():
    tag = entry_for("param", "tag")
    assert tag.meaning("From") != tag.meaning("To")
    assert tag.meaning("Via") is None


def test_explanations_come_once_per_token_and_meaning():
    ids = [e.id for e in message_explanations(INVITE)]
    assert len(ids) == len(set(ids))
    assert tip_id(TokenUse("param", "tag", 4, "From")) in ids


def test_tip_ids_are_valid_html_ids():
    for explanation in message_explanations(INVITE):
        assert re.fullmatch(r"tip-[A-Za-z0-9_-]+", explanation.id)


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("RFC 3261 §17.1.3", "https://www.rfc-editor.org/rfc/rfc3261#section-17.1.3"),
        ("RFC 3261, section 8.2.6.2", "https://www.rfc-editor.org/rfc/rfc3261#section-8.2.6.2"),
        ("RFC 3420", "https://www.rfc-editor.org/rfc/rfc3420"),
    ],
)
def test_rfc_references_become_rfc_editor_urls(text, url):
    assert rfc_url(text) == url
