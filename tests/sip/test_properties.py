"""Properties of the protocol code that hold for any input, hostile included.

Few examples each, so the suite stays quick; `bench/fuzz.py` runs the same modules long.
"""

import html
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from pygments.token import Error

from sipflows.sip.flowdoc import FlowDocumentError, parse_documents, validate_document
from sipflows.sip.highlight import highlight_message
from sipflows.sip.lexers import HtmlBodyLexer, SdpLexer, SipLexer, XmlBodyLexer
from sipflows.sip.lint import lint_flow
from sipflows.sip.message import parse_message
from sipflows.sip.rfcreader import read_call_flows
from tests.strategies import (
    focus_lists,
    rfc_texts,
    sip_texts,
    spoiled_documents,
    values,
)

bounded = settings(max_examples=60, deadline=None, database=None)


@bounded
@given(sip_texts())
def test_the_parser_takes_any_text_and_places_its_problems_on_lines(text):
    message = parse_message(text)
    lines = len(re.split(r"\r\n|\r|\n", text))
    assert all(1 <= problem.line <= max(lines, 1) for problem in message.problems)


@bounded
@given(st.binary(max_size=200))
def test_the_parser_takes_any_bytes(data):
    parse_message(data)


@bounded
@given(
    sip_texts(),
    st.sampled_from([SipLexer, SdpLexer, XmlBodyLexer, HtmlBodyLexer]),
)
def test_lexers_lose_nothing_and_make_no_errors(text, lexer):
    position = 0
    for index, token, value in lexer().get_tokens_unprocessed(text):
        assert index == position
        assert token not in Error
        position += len(value)
    assert position == len(text)


@bounded
@given(sip_texts(), focus_lists())
def test_the_highlighter_escapes_everything_and_keeps_the_text(text, focus):
    markup = highlight_message(text, focus)
    shown = html.unescape(re.sub(r"<[^>]+>", "", markup))
    assert markup.startswith('<div class="sipmsg"><pre>')
    # Pygments shows line breaks as "\n", drops the final one and a byte order mark.
    expected = re.sub(r"\r\n|\r", "\n", text).removeprefix("\ufeff").rstrip("\n")
    assert shown.rstrip("\n") == expected


@bounded
@given(spoiled_documents())
def test_any_spoiled_document_is_valid_or_named_by_an_error(document):
    try:
        validated = validate_document(document, name="spoiled.yaml")
    except FlowDocumentError as error:
        assert str(error).startswith("spoiled.yaml")
        return
    assert validate_document(validated, name="again.yaml") == validated


@bounded
@given(values)
def test_any_json_value_is_a_document_or_an_error(value):
    try:
        parse_documents(json.dumps(value), name="any.json")
    except FlowDocumentError:
        pass


@bounded
@given(st.text(max_size=300))
def test_any_text_is_a_document_or_an_error(text):
    try:
        parse_documents(text, name="any.yaml")
    except FlowDocumentError:
        pass


@bounded
@given(spoiled_documents())
def test_the_checker_takes_any_valid_document(document):
    try:
        validated = validate_document(document, name="spoiled.yaml")
    except FlowDocumentError:
        return
    assert all(finding.severity in ("error", "warning") for finding in lint_flow(validated))


@bounded
@given(spoiled_documents(), st.lists(sip_texts(max_size=12), min_size=1, max_size=3))
def test_the_checker_takes_any_messages(document, messages):
    for step, message in zip(document.get("steps") or [], messages, strict=False):
        if isinstance(step, dict) and step.get("kind") == "message":
            step["message"] = message or "x"
    try:
        validated = validate_document(document, name="spoiled.yaml")
    except FlowDocumentError:
        return
    lint_flow(validated)


@bounded
@given(rfc_texts())
def test_the_reader_takes_any_text_and_makes_valid_documents(text):
    reading = read_call_flows(text)
    for flow in reading.flows:
        assert validate_document(flow, name="read") == flow
