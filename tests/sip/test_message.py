import random
import string

import pytest

from sipflows.sip.message import (
    MAX_PROBLEMS,
    Header,
    NameAddr,
    Via,
    canonical_name,
    parse_message,
    parse_name_addr,
    parse_params,
    parse_via,
)
from tests.timing import grows_linearly

# RFC 5359 §2.3 F12, as the app stores it: CRLF line endings, a real Content-Length.
SDP = (
    "v=0\r\n"
    "o=MusicServer 2890844576 2890844576 IN IP4 server.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 server.example.com\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=sendonly\r\n"
)
INVITE = (
    "INVITE sips:a8342043f@atlanta.example.com;gr SIP/2.0\r\n"
    "Via: SIP/2.0/TLS server.example.com:5061\r\n"
    " ;branch=z9hG4bK74rf\r\n"
    "Max-Forwards: 70\r\n"
    "From: <sips:music@server.example.com>;tag=0111\r\n"
    "To: <sips:a8342043f@atlanta.example.com;gr>\r\n"
    "Call-ID: a5-75-34-12-76@server.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sips:music@server.example.com>;automaton\r\n"
    ' ;+sip.byeless;+sip.rendering="no"\r\n'
    "Require: replaces\r\n"
    "Replaces: 12345600@atlanta.example.com\r\n"
    " ;from-tag=23431;to-tag=1234567\r\n"
    "Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, SUBSCRIBE, NOTIFY\r\n"
    "Content-Type: application/sdp\r\n"
    f"Content-Length: {len(SDP)}\r\n"
    "\r\n" + SDP
)
RINGING = (
    "SIP/2.0 180 Ringing\r\n"
    "Via: SIP/2.0/TLS client.atlanta.example.com:5061;branch=z9hG4bK74bf9\r\n"
    "From: Alice <sips:alice@atlanta.example.com>;tag=1234567\r\n"
    "To: Bob <sips:bob@biloxi.example.com>;tag=314159\r\n"
    "Call-ID: 12345600@atlanta.example.com\r\n"
    "CSeq: 1 INVITE\r\n"
    "Content-Length: 0\r\n"
    "\r\n"
)
NOTIFY = (
    "NOTIFY sips:bob@client.biloxi.example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TLS server.example.com:5061;branch=z9hG4bK74bT6\r\n"
    "To: Bob <sips:bob@biloxi.example.com>;tag=02134\r\n"
    "Max-Forwards: 70\r\n"
    "From: Music Server <sips:music@server.example.com>;tag=56323\r\n"
    "Call-ID: 4802029847@biloxi.example.com\r\n"
    "CSeq: 1 NOTIFY\r\n"
    "Event: refer\r\n"
    "Content-Type: message/sipfrag\r\n"
    "Content-Length: 20\r\n"
    "\r\n"
    "SIP/2.0 100 Trying\r\n"
)


def request(headers: str, body: str = "", method: str = "INVITE") -> str:
    """A complete, valid request around some extra headers and a body."""
    return (
        f"{method} sip:bob@biloxi.example.com SIP/2.0\r\n"
        "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
        "Max-Forwards: 70\r\n"
        "To: Bob <sip:bob@biloxi.example.com>\r\n"
        "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
        "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
        f"CSeq: 314159 {method}\r\n"
        f"{headers}"
        f"Content-Length: {len(body.encode())}\r\n"
        "\r\n"
        f"{body}"
    )


def messages(parsed) -> list[str]:
    return [p.message for p in parsed.problems]


# --- well-formed messages -----------------------------------------------------------------


def test_request_start_line_and_helpers():
    m = parse_message(INVITE)
    assert m.problems == []
    assert (m.kind, m.method, m.version) == ("request", "INVITE", "SIP/2.0")
    assert m.request_uri == "sips:a8342043f@atlanta.example.com;gr"
    assert m.start_line == "INVITE sips:a8342043f@atlanta.example.com;gr SIP/2.0"
    assert m.summary == "INVITE"
    assert m.cseq == (1, "INVITE")
    assert m.call_id == "a5-75-34-12-76@server.example.com"
    assert (m.from_tag, m.to_tag) == ("0111", None)
    assert m.status_code is None


def test_response_start_line_and_summary():
    m = parse_message(RINGING)
    assert m.problems == []
    assert (m.kind, m.status_code, m.reason, m.version) == ("response", 180, "Ringing", "SIP/2.0")
    assert m.summary == "180 Ringing"
    assert m.method is None
    assert (m.from_tag, m.to_tag) == ("1234567", "314159")


def test_folded_headers_are_unfolded_with_their_line_range():
    m = parse_message(INVITE)
    via = m.headers[0]
    assert via == Header(
        "Via", "Via", "SIP/2.0/TLS server.example.com:5061;branch=z9hG4bK74rf", 2, 3
    )
    assert m.header("Replaces") == "12345600@atlanta.example.com;from-tag=23431;to-tag=1234567"
    assert m.header("Contact") == (
        '<sips:music@server.example.com>;automaton;+sip.byeless;+sip.rendering="no"'
    )


def test_folding_before_a_word_becomes_one_space():
    m = parse_message(request("Subject: I know you're there,\r\n   pick up the phone\r\n"))
    assert m.header("Subject") == "I know you're there, pick up the phone"


def test_compact_forms_are_expanded():
    m = parse_message(
        "BYE sip:bob@b.example.com SIP/2.0\r\n"
        "v: SIP/2.0/UDP a.example.com;branch=z9hG4bKnashds8\r\n"
        "Max-Forwards: 70\r\n"
        "f: <sip:alice@a.example.com>;tag=1\r\n"
        "t: <sip:bob@b.example.com>;tag=2\r\n"
        "i: 42@a.example.com\r\n"
        "CSeq: 2 BYE\r\n"
        "l: 0\r\n"
        "\r\n"
    )
    assert m.problems == []
    assert [h.name for h in m.headers] == [
        "Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "Content-Length",
    ]  # fmt: skip
    assert m.headers[0].raw_name == "v"
    assert m.header("call-id") == m.header("I") == m.header("Call-ID") == "42@a.example.com"


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("call-id", "Call-ID"),
        ("CSEQ", "CSeq"),
        ("www-authenticate", "WWW-Authenticate"),
        ("o", "Event"),
        ("r", "Refer-To"),
        ("b", "Referred-By"),
        ("u", "Allow-Events"),
        ("x", "Session-Expires"),
        ("a", "Accept-Contact"),
        ("j", "Reject-Contact"),
        ("d", "Request-Disposition"),
        ("y", "Identity"),
        ("n", "Identity-Info"),
        ("e", "Content-Encoding"),
        ("k", "Supported"),
        ("s", "Subject"),
        ("X-Custom-Thing", "X-Custom-Thing"),
    ],
)
def test_canonical_name(written, canonical):
    assert canonical_name(written) == canonical


def test_header_values_split_lists_on_top_level_commas():
    m = parse_message(
        request(
            'Contact: "Watson, Mr." <sip:watson@example.com;a=1,2>;q=0.7, <sip:w@example.com>\r\n'
            "Allow: INVITE, ACK\r\n"
            "Allow: BYE\r\n"
            "Subject: lunch, maybe\r\n"
            "Date: Sat, 13 Nov 2010 23:29:00 GMT\r\n"
            'Authorization: Digest username="bob", realm="biloxi.example.com"\r\n'
        )
    )
    assert m.header_values("m") == [
        '"Watson, Mr." <sip:watson@example.com;a=1,2>;q=0.7',
        "<sip:w@example.com>",
    ]
    assert m.header_values("Allow") == ["INVITE", "ACK", "BYE"]
    assert m.header_values("Subject") == ["lunch, maybe"]
    assert m.header_values("Date") == ["Sat, 13 Nov 2010 23:29:00 GMT"]
    assert len(m.header_values("Authorization")) == 1
    assert m.header_values("Route") == []
    assert m.header("Route") is None


def test_vias():
    m = parse_message(
        request("").replace(
            "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n",
            "Via: SIP/2.0/TLS ss1.example.com:5061;branch=z9hG4bK83749.1,\r\n"
            " SIP/2.0/TLS client.biloxi.example.com:5061\r\n"
            "  ;branch=z9hG4bKnashds7\r\n  ;received=192.0.2.105\r\n",
        )
    )
    assert m.problems == []
    assert m.vias == [
        Via("SIP/2.0", "TLS", "ss1.example.com:5061", {"branch": "z9hG4bK83749.1"}),
        Via(
            "SIP/2.0",
            "TLS",
            "client.biloxi.example.com:5061",
            {"branch": "z9hG4bKnashds7", "received": "192.0.2.105"},
        ),
    ]
    assert m.vias[1].branch == "z9hG4bKnashds7"


def test_parse_via():
    assert parse_via("SIP / 2.0 / UDP  host.example.com ; lr") == Via(
        "SIP/2.0", "UDP", "host.example.com", {"lr": None}
    )
    assert parse_via("nonsense") is None


def test_parse_params():
    assert parse_params(';branch=z9hG4bK74bf9;lr; Received = 192.0.2.1 ;x="a;b"') == {
        "branch": "z9hG4bK74bf9",
        "lr": None,
        "received": "192.0.2.1",
        "x": '"a;b"',
    }
    assert parse_params("") == {}
    assert parse_params("tag=1;tag=2") == {"tag": "1"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            '"Mr. \\"W\\" <x>" <sip:w@example.com;lr>;tag=a',
            NameAddr('Mr. "W" <x>', "sip:w@example.com;lr", {"tag": "a"}),
        ),
        ("Bob <sips:bob@biloxi.example.com>", NameAddr("Bob", "sips:bob@biloxi.example.com", {})),
        ("<sip:a@b>;expires=60", NameAddr(None, "sip:a@b", {"expires": "60"})),
        # Without <>, the parameters belong to the header (RFC 3261 §20.10).
        (
            "sip:alice@atlanta.com;tag=88sja8x",
            NameAddr(None, "sip:alice@atlanta.com", {"tag": "88sja8x"}),
        ),
        ("Bob <sip:unclosed;lr", NameAddr("Bob", "sip:unclosed;lr", {})),
        ("", NameAddr(None, "", {})),
    ],
)
def test_parse_name_addr(value, expected):
    assert parse_name_addr(value) == expected


def test_sdp_body():
    body = parse_message(INVITE).body
    assert (body.kind, body.content_type, body.line, body.size) == (
        "sdp", "application/sdp", 18, len(SDP),
    )  # fmt: skip
    assert body.text == SDP
    assert [(s.type, s.value, s.line) for s in body.sdp][-3:] == [
        ("m", "audio 49170 RTP/AVP 0", 23),
        ("a", "rtpmap:0 PCMU/8000", 24),
        ("a", "sendonly", 25),
    ]


def test_sipfrag_body_is_parsed_as_a_fragment():
    m = parse_message(NOTIFY)
    assert m.problems == []
    assert m.body.kind == "sipfrag"
    fragment = m.body.sipfrag
    assert (fragment.kind, fragment.status_code, fragment.summary) == (
        "response",
        100,
        "100 Trying",
    )
    assert fragment.start_line == "SIP/2.0 100 Trying"
    assert fragment.problems == []  # no mandatory headers in a fragment


def test_sipfrag_with_headers_only_and_its_line_numbers():
    body = "Via: nonsense\r\nCSeq: 1 BYE\r\n"
    m = parse_message(request("Content-Type: message/sipfrag\r\n", body, method="NOTIFY"))
    fragment = m.body.sipfrag
    assert fragment.kind == "unknown"
    assert [(h.name, h.line) for h in fragment.headers] == [("Via", 11), ("CSeq", 12)]
    assert fragment.problems == []


def test_bad_sipfrag_is_reported_on_the_outer_message():
    m = parse_message(request("Content-Type: message/sipfrag\r\n", "SIP/2.0 20 OK\r\n", "NOTIFY"))
    assert [(p.line, p.message) for p in m.problems] == [
        (11, "In the sipfrag body: The status code must be three digits, not '20'.")
    ]


def test_nested_sipfrags_stop_at_a_depth():
    nested = "".join("MESSAGE sip:a SIP/2.0\r\nContent-Type: message/sipfrag\r\n\r\n" * 50)
    m = parse_message(nested)
    assert any("nested too deeply" in text for text in messages(m))


def test_dialog_info_body():
    xml = (
        '<?xml version="1.0"?>\r\n'
        '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info"\r\n'
        '   version="0" state="full" entity="sips:park@server.example.com">\r\n'
        "</dialog-info>\r\n"
    )
    m = parse_message(request("Content-Type: application/dialog-info+xml\r\n", xml, "NOTIFY"))
    assert m.body.kind == "dialog-info"
    assert m.problems == []


def test_malformed_dialog_info_is_reported_on_its_line():
    xml = (
        '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info">\r\n<dialog>\r\n</dialog-info>\r\n'
    )
    m = parse_message(request("Content-Type: application/dialog-info+xml\r\n", xml, "NOTIFY"))
    assert [(p.line, p.message) for p in m.problems] == [
        (13, "The XML body is not well-formed: mismatched tag.")
    ]


def test_wrong_dialog_info_root_is_a_warning():
    m = parse_message(request("Content-Type: application/dialog-info+xml\r\n", "<a/>", "NOTIFY"))
    assert [p.severity for p in m.problems] == ["warning"]


def test_xml_entities_are_never_expanded():
    bomb = (
        '<?xml version="1.0"?>\r\n<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\r\n<d>&b;</d>\r\n'
    )
    m = parse_message(request("Content-Type: application/pidf+xml\r\n", bomb, "PUBLISH"))
    assert m.body.kind == "xml"
    assert any("DOCTYPE" in text for text in messages(m))


@pytest.mark.parametrize(
    ("content_type", "kind"),
    [
        ("text/html", "html"),
        ("text/plain;charset=UTF-8", "text"),
        ("Application/SDP", "sdp"),
        ("application/octet-stream", "unknown"),
    ],
)
def test_body_kinds(content_type, kind):
    m = parse_message(request(f"Content-Type: {content_type}\r\n", "<HTML>Hi</HTML>"))
    assert m.body.kind == kind


def test_multipart_is_not_analysed():
    m = parse_message(request("Content-Type: multipart/mixed;boundary=x\r\n", "--x--"))
    assert m.body.kind == "unknown"
    assert messages(m) == ["Multipart bodies are not analysed."]


def test_body_without_content_type():
    m = parse_message(request("", "hello"))
    assert messages(m) == ["The message has a body but no Content-Type header."]


def test_no_body():
    assert parse_message(RINGING).body is None


# --- Content-Length -----------------------------------------------------------------------


def test_content_length_mismatch_is_reported_on_its_line():
    m = parse_message(INVITE.replace(f"Content-Length: {len(SDP)}", "Content-Length: 151"))
    assert [(p.line, p.message, p.severity) for p in m.problems] == [
        (16, f"Content-Length says 151 but the body is {len(SDP)} bytes.", "error")
    ]


def test_body_is_counted_with_crlf_even_if_written_with_lf():
    assert parse_message(INVITE.replace("\r\n", "\n")).problems == []


def test_utf8_body_is_counted_in_bytes():
    m = parse_message(request("Content-Type: text/plain\r\n", "café\r\n"))
    assert m.problems == []
    assert m.body.size == 7


def test_trailing_blank_lines_are_not_part_of_the_body():
    assert parse_message(INVITE + "\r\n\r\n").problems == []
    assert parse_message(RINGING + "\r\n\r\n").body is None


def test_placeholder_content_length_is_not_a_number():
    m = parse_message(INVITE.replace(f"Content-Length: {len(SDP)}", "Content-Length: ..."))
    assert [(p.line, p.message, p.severity) for p in m.problems] == [
        (16, f"Content-Length is not a number ('...'); the body is {len(SDP)} bytes.", "warning")
    ]


def test_missing_content_length_is_a_warning():
    m = parse_message(RINGING.replace("Content-Length: 0\r\n", ""))
    assert [(p.line, p.severity) for p in m.problems] == [(1, "warning")]
    assert "no Content-Length" in m.problems[0].message


def test_huge_content_length_does_not_break_int_conversion():
    m = parse_message(RINGING.replace("Content-Length: 0", "Content-Length: " + "9" * 5000))
    assert "Content-Length says 999" in m.problems[0].message


# --- other problems -----------------------------------------------------------------------


def test_missing_mandatory_request_headers():
    m = parse_message("OPTIONS sip:carol@chicago.example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n")
    assert messages(m) == [
        f"The request has no {name} header, which every request must have."
        for name in ("To", "From", "CSeq", "Call-ID", "Max-Forwards", "Via")
    ]


def test_responses_need_no_max_forwards():
    assert parse_message(RINGING).problems == []


def test_cseq_method_must_match_the_request():
    m = parse_message(request("").replace("CSeq: 314159 INVITE", "CSeq: 314159 ACK"))
    assert [(p.line, p.message) for p in m.problems] == [
        (7, "CSeq method is ACK but the request method is INVITE.")
    ]


def test_cseq_is_not_compared_in_responses():
    assert parse_message(RINGING.replace("1 INVITE", "1 BYE")).problems == []


def test_malformed_cseq():
    m = parse_message(request("").replace("CSeq: 314159 INVITE", "CSeq: INVITE"))
    assert m.cseq is None
    assert messages(m) == ["CSeq must be a number and a method, like '1 INVITE'."]


def test_duplicate_single_valued_header():
    m = parse_message(request("Call-ID: again\r\n"))
    assert [(p.line, p.message) for p in m.problems] == [
        (8, "The Call-ID header appears more than once.")
    ]


def test_via_without_magic_cookie_is_a_warning():
    m = parse_message(request("").replace("z9hG4bK776asdhds", "776asdhds"))
    assert [(p.line, p.severity) for p in m.problems] == [(2, "warning")]


@pytest.mark.parametrize(
    ("start_line", "expected"),
    [
        ("SIP/3.0 200 OK", "Unknown SIP version 'SIP/3.0'; it must be SIP/2.0."),
        ("SIP/2.0 20 OK", "The status code must be three digits, not '20'."),
        ("SIP/2.0 2000 OK", "The status code must be three digits, not '2000'."),
        ("SIP/2.0 700 Nope", "Status code 700 is not in SIP's range, 100 to 699."),
        ("sip/2.0 200 OK", "Write the SIP version in upper case: SIP/2.0."),
    ],
)
def test_status_line_problems(start_line, expected):
    m = parse_message(RINGING.replace("SIP/2.0 180 Ringing", start_line))
    assert m.kind == "response"
    assert [(p.line, p.message) for p in m.problems] == [(1, expected)]


@pytest.mark.parametrize(
    ("start_line", "expected"),
    [
        ("INVITE <sip:bob@biloxi.example.com> SIP/2.0", "must not be enclosed in < >"),
        ("INVITE bob SIP/2.0", "has no scheme"),
        ("INVITE  sip:bob@biloxi.example.com SIP/2.0", "separated by single spaces"),
        ("INVITE sip:bob@biloxi.example.com SIP/1.0", "Unknown SIP version 'SIP/1.0'"),
    ],
)
def test_request_line_problems(start_line, expected):
    m = parse_message(request("").replace("INVITE sip:bob@biloxi.example.com SIP/2.0", start_line))
    assert m.kind == "request"
    assert [p.line for p in m.problems] == [1]
    assert expected in m.problems[0].message


def test_unknown_start_line():
    m = parse_message("Hello there\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n")
    assert (m.kind, m.start_line, m.summary) == ("unknown", "Hello there", "Hello there")
    assert [(p.line, p.message.split(":")[0]) for p in m.problems] == [(1, "Unknown start line")]
    assert m.header("Via") == "SIP/2.0/UDP h;branch=z9hG4bK1"


def test_message_starting_with_a_header_has_no_start_line():
    m = parse_message("Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n")
    assert messages(m) == ["The message has no start line (request or status line)."]
    assert m.header("Via")


def test_header_line_without_a_colon():
    m = parse_message(request("This is not a header\r\n"))
    assert [(p.line, p.message, p.severity) for p in m.problems] == [
        (8, "Header line without a colon: headers look like 'Name: value'.", "error")
    ]


def test_invalid_header_name():
    m = parse_message(request("Call ID: 1\r\n"))
    assert [p.line for p in m.problems] == [8]
    assert "'Call ID' is not a valid header name" in m.problems[0].message


def test_continuation_without_a_header():
    m = parse_message(RINGING.replace("SIP/2.0 180 Ringing\r\n", "SIP/2.0 180 Ringing\r\n  ;x\r\n"))
    assert [p.line for p in m.problems] == [2]


def test_header_names_allow_spaces_before_the_colon():
    m = parse_message(request("Subject   :lunch\r\n"))
    assert m.problems == []
    assert m.header("subject") == "lunch"


def test_missing_empty_line_before_the_body():
    # RFC 5359 §2.15 F18 forgets the empty line before its dialog-info body.
    text = (
        request("Content-Type: application/dialog-info+xml\r\n", "", "NOTIFY")
        .removesuffix("\r\n")
        .replace("Content-Length: 0", "Content-Length: 6")
        + "<a/>\r\n"
    )
    m = parse_message(text)
    assert [(p.line, p.message) for p in m.problems] == [
        (10, "The empty line that ends the headers is missing before this body."),
        (10, "The root element should be <dialog-info> in the urn:ietf:params:xml:ns:dialog-info "
             "namespace."),
    ]  # fmt: skip
    assert m.body.line == 10


def test_whitespace_only_line_ends_the_headers():
    m = parse_message(RINGING.removesuffix("\r\n") + "   \r\n")
    assert [(p.line, p.severity) for p in m.problems] == [(8, "warning")]


def test_sdp_problems():
    sdp = "o=bob 1 1 IN IP4 h\r\nv=0\r\nbroken\r\nv = 0\r\nq=1\r\n\r\ns=-\r\n"
    m = parse_message(request("Content-Type: application/sdp\r\n", sdp))
    assert [(p.line, p.message) for p in m.problems] == [
        (11, "The SDP body lacks t= (v=, o=, s= and t= are mandatory)."),
        (11, "The SDP body must start with v=0."),
        (13, "SDP line without '=': every line looks like 'x=value'."),
        (14, "An SDP line starts with one letter and '=', without spaces, like 'v=0'."),
        (15, "Unknown SDP line type 'q='."),
        (16, "SDP has no empty lines."),
    ]


def test_comments_of_rfc_listings_are_skipped():
    m = parse_message("/* Bob places Alice on hold.\r\n   Note: the version. */\r\n\r\n" + RINGING)
    assert (m.kind, m.status_code) == ("response", 180)
    assert [(p.line, p.severity) for p in m.problems] == [(1, "warning")]
    assert m.headers[0].line == 5


def test_problems_are_sorted_and_capped():
    m = parse_message("junk\n" * 1000)
    assert len(m.problems) == MAX_PROBLEMS + 1
    assert m.problems[-1].message == f"{1000 - MAX_PROBLEMS} more problems are not listed."
    lines = [p.line for p in m.problems]
    assert lines == sorted(lines)


# --- hostile and odd input ----------------------------------------------------------------


@pytest.mark.parametrize("data", ["", b"", "\r\n\r\n\n\r", "   \n\t\n"])
def test_empty_input(data):
    m = parse_message(data)
    assert m.kind == "unknown"
    assert m.summary == ""
    assert [(p.line, p.message) for p in m.problems] == [(1, "The message is empty.")]


def test_lf_crlf_and_lone_cr_are_all_line_breaks():
    for newline in ("\n", "\r", "\r\n"):
        m = parse_message(RINGING.replace("\r\n", newline))
        assert m.problems == []
        assert [h.line for h in m.headers] == [2, 3, 4, 5, 6, 7]


def test_leading_empty_lines_are_ignored_but_counted():
    m = parse_message("\r\n\r\n" + RINGING)
    assert m.problems == []
    assert m.headers[0].line == 4


def test_bytes_input_and_bom():
    m = parse_message(b"\xef\xbb\xbf" + RINGING.encode())
    assert (m.kind, m.problems) == ("response", [])


def test_invalid_utf8_is_reported_on_its_line():
    m = parse_message(RINGING.replace("Ringing", "Ring\xffing").encode("latin-1"))
    assert m.reason == "Ring\ufffding"
    assert [(p.line, p.message) for p in m.problems] == [
        (1, "The message is not valid UTF-8; bad bytes are shown as \ufffd.")
    ]


def test_lone_surrogates_in_text_are_replaced():
    m = parse_message(RINGING.replace("Bob", "B\udcffb"))
    assert [p.line for p in m.problems] == [4]
    assert "\ufffd" in m.header("To")


def test_binary_junk():
    junk = bytes(random.Random(7).randrange(256) for _ in range(20_000))
    m = parse_message(junk)
    assert m.problems  # and no exception


def test_nuls_and_control_characters():
    m = parse_message("\x00\x0b\x0c\x1c\x85\u2028\r\n\x00: \x00\r\n\r\n\x00")
    assert m.problems


def test_only_a_body():
    m = parse_message("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\n")
    assert m.kind == "unknown"
    assert m.problems


def test_not_text_at_all():
    assert parse_message(None).problems[0].message == "Expected text or bytes, got NoneType."


def test_random_text_parses_in_time_linear_in_its_length():
    def junk(size):
        rnd = random.Random(3)
        return "".join(rnd.choices(string.printable + '<>";:,=é', k=size))

    assert parse_message(junk(1024 * 1024)).problems
    assert grows_linearly(parse_message, junk, 256 * 1024)


def test_hostile_header_values_parse_in_time_linear_in_their_length():
    def hostile(n):
        return (
            "INVITE sip:a@b SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP a{' ' * 3 * n}b;{';' * n}\r\n"
            f"Contact: {'<' * n}\r\n"
            "To: " + '"' * n + "\r\n"
            f"Subject: x\r\n{' y' * n}\r\n"
        )

    def parse(text):
        m = parse_message(text)
        return m.header_values("Contact"), m.vias, m.to_tag

    assert grows_linearly(parse, hostile, 25_000)  # catastrophic backtracking: quadratic or worse


def test_input_over_a_megabyte_is_cut():
    m = parse_message(RINGING + "x" * (2 * 1024 * 1024))
    assert (
        m.problems[0].message == "The message is larger than 1 MB; only the first 1 MB is checked."
    )


def test_bytes_cut_inside_a_character_are_not_reported_as_invalid():
    data = b"SIP/2.0 200 OK\r\nSubject: " + "é".encode() * (600 * 1024)
    m = parse_message(data)
    assert not any("UTF-8" in text for text in messages(m))
