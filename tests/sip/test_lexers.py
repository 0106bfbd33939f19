import random
import string

import pytest
from pygments.token import Error, Token, Whitespace

from sipflows.sip.lexers import HtmlBodyLexer, SdpLexer, SipLexer, XmlBodyLexer
from tests.sip.test_message import INVITE, NOTIFY, request
from tests.timing import grows_linearly, seconds

SDP = (
    "v=0\n"
    "o=alice 2890844526 2890844527 IN IP4 client.atlanta.example.com\n"
    "s=\n"
    "c=IN IP4 192.0.2.101\n"
    "t=0 0\n"
    "m=audio 49170 RTP/AVP 0 8\n"
    "a=rtpmap:0 PCMU/8000\n"
    "a=recvonly\n"
)
DIALOG_INFO = (
    '<?xml version="1.0"?>\n'
    '<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="0" state="full">\n'
    '  <dialog id="439920143524" direction="initiator"><state>confirmed</state></dialog>\n'
    "</dialog-info>\n"
)


def tokens(text: str, lexer=None) -> list[tuple[str, object]]:
    """(text, token type) pairs, checking on the way that no text is lost."""
    position = 0
    result = []
    for index, token, value in (lexer or SipLexer()).get_tokens_unprocessed(text):
        assert index == position
        position += len(value)
        result.append((value, token))
    assert "".join(value for value, _ in result) == text
    return result


def test_request_line():
    assert tokens("INVITE sips:bob@biloxi.example.com SIP/2.0\n")[:5] == [
        ("INVITE", Token.Keyword),
        (" ", Token.Text.Whitespace),
        ("sips:bob@biloxi.example.com", Token.Name.Label),
        (" ", Token.Text.Whitespace),
        ("SIP/2.0", Token.Keyword.Constant),
    ]


def test_status_line():
    assert tokens("SIP/2.0 486 Busy Here\n")[:5] == [
        ("SIP/2.0", Token.Keyword.Constant),
        (" ", Token.Text.Whitespace),
        ("486", Token.Number.Integer),
        (" ", Token.Text.Whitespace),
        ("Busy Here", Token.String),
    ]


def test_headers_and_parameters():
    result = tokens(INVITE)
    for expected in [
        ("Via", Token.Name.Attribute),
        (":", Token.Punctuation),
        ("SIP/2.0/TLS", Token.Keyword.Constant),
        ("branch", Token.Name.Variable),
        ("=", Token.Operator),
        ("z9hG4bK74rf", Token.Literal.String.Other),
        ("Replaces", Token.Name.Attribute),
        ("from-tag", Token.Name.Variable),
        ("23431", Token.Literal.String.Other),
        ("to-tag", Token.Name.Variable),
        ("tag", Token.Name.Variable),
        ("automaton", Token.Name.Variable),
        ("+sip.rendering", Token.Name.Variable),
        ('"no"', Token.Literal.String.Other),
        (";", Token.Punctuation),
        ("<", Token.Punctuation),
        (">", Token.Punctuation),
        ("sips:music@server.example.com", Token.Name.Label),
        ("70", Token.Number.Integer),
        ("1", Token.Number.Integer),
        ("SUBSCRIBE", Token.Keyword),
        (",", Token.Punctuation),
    ]:
        assert expected in result, expected


def test_continuation_lines_keep_lexing_the_header():
    result = tokens("SIP/2.0 200 OK\nVia: SIP/2.0/TLS h:5061\n   ;branch=z9hG4bK74bf9\n ;lr\n")
    assert result[-10:] == [
        ("   ", Token.Text.Whitespace),
        (";", Token.Punctuation),
        ("branch", Token.Name.Variable),
        ("=", Token.Operator),
        ("z9hG4bK74bf9", Token.Literal.String.Other),
        ("\n", Token.Text.Whitespace),
        (" ", Token.Text.Whitespace),
        (";", Token.Punctuation),
        ("lr", Token.Name.Variable),
        ("\n", Token.Text.Whitespace),
    ]


def test_display_names_and_cseq():
    result = tokens(
        'SIP/2.0 200 OK\nFrom: "Alice \\"A\\"" <sip:alice@atlanta.example.com>;tag=9fxced76sl\n'
        "CSeq: 2 BYE\nExpires: 3600\nl: 0\n"
    )
    for expected in [
        ('"', Token.String.Double),
        ("Alice ", Token.String.Double),
        ('\\"', Token.String.Escape),
        ("sip:alice@atlanta.example.com", Token.Name.Label),
        ("2", Token.Number.Integer),
        ("BYE", Token.Keyword),
        ("3600", Token.Number.Integer),
        ("l", Token.Name.Attribute),
        ("0", Token.Number.Integer),
    ]:
        assert expected in result, expected


@pytest.mark.parametrize(
    "uri",
    [
        "sip:bob@biloxi.example.com",
        "tel:+1-201-555-0123",
        "https://example.com/a?b=c",
        "urn:service:sos",
        "mailto:watson@bell-telephone.com",
    ],
)
def test_every_uri_is_a_label(uri):
    result = tokens(f"OPTIONS {uri} SIP/2.0\nRefer-To: {uri}\nCall-Info: <{uri}>\n")
    assert result.count((uri, Token.Name.Label)) == 3


def test_bare_uri_parameters_belong_to_the_header():
    result = tokens("SIP/2.0 200 OK\nTo: sip:bob@biloxi.example.com;tag=a6c85cf\n")
    assert ("sip:bob@biloxi.example.com", Token.Name.Label) in result
    assert ("tag", Token.Name.Variable) in result


def test_folded_uri_in_angle_brackets():
    result = tokens("REFER sip:a SIP/2.0\nRefer-To: <sips:a@b;gr?Replaces=\n 12345600%40c>\n")
    assert ("sips:a@b;gr?Replaces=", Token.Name.Label) in result
    assert ("12345600%40c", Token.Name.Label) in result


def test_comments():
    result = tokens("/* Bob places Alice\n   on hold. */\nINVITE sip:a SIP/2.0\n")
    assert result[:5] == [
        ("/*", Token.Comment.Multiline),
        (" Bob places Alice\n   on hold. ", Token.Comment.Multiline),
        ("*/", Token.Comment.Multiline),
        ("\n", Token.Text.Whitespace),
        ("INVITE", Token.Keyword),
    ]


def test_sdp_body_is_lexed_as_sdp():
    result = tokens(INVITE)
    assert ("sendonly", Token.Name.Attribute) in result
    assert ("rtpmap", Token.Name.Attribute) in result
    assert ("v", Token.Keyword) in result


def test_xml_body_is_lexed_as_xml():
    for content_type in ("application/dialog-info+xml", "application/pidf+xml"):
        result = tokens(request(f"Content-Type: {content_type}\n", DIALOG_INFO, "NOTIFY"))
        assert ("<dialog-info", Token.Name.Tag) in result
        assert ("Content-Type", Token.Name.Attribute) in result


def test_sipfrag_body_is_lexed_as_sip():
    result = tokens(NOTIFY)
    assert ("SIP/2.0", Token.Keyword.Constant) in result[-8:]
    assert ("100", Token.Number.Integer) in result
    assert ("Trying", Token.String) in result


def test_sipfrag_with_headers_and_a_body():
    body = "INVITE sip:a SIP/2.0\nContent-Type: application/sdp\n\n" + SDP
    result = tokens(request("Content-Type: message/sipfrag\n", body, "NOTIFY"))
    assert ("recvonly", Token.Name.Attribute) in result


def test_html_and_other_bodies():
    html = tokens(request("Content-Type: text/html\n", "<HTML>Take <A HREF='x'>it</A></HTML>\n"))
    assert ("<", Token.Punctuation) in html
    assert ("HTML", Token.Name.Tag) in html
    plain = tokens(request("Content-Type: text/plain\n", "INVITE sip:x SIP/2.0\n"))
    assert ("INVITE sip:x SIP/2.0\n", Token.Text) in plain


def test_body_without_empty_line_is_still_found():
    # RFC 5359 §2.15 F18 has no empty line before its XML body.
    text = request("Content-Type: application/dialog-info+xml\n", "").rstrip("\r\n") + "\n"
    result = tokens(text + DIALOG_INFO)
    assert ("<dialog-info", Token.Name.Tag) in result


def test_crlf_and_lone_cr_are_preserved():
    for newline in ("\r\n", "\r"):
        result = tokens(INVITE.replace("\r\n", newline))
        assert ("sendonly", Token.Name.Attribute) in result
        assert ("replaces", Token.Text) in result
        assert (newline, Token.Text.Whitespace) in result


def test_get_tokens_keeps_leading_blank_lines():
    text = "\n\nSIP/2.0 200 OK\n"
    assert "".join(v for _, v in SipLexer().get_tokens(text)) == text


def test_sdp_lexer():
    result = tokens(SDP, SdpLexer())
    for expected in [
        ("v", Token.Keyword),
        ("=", Token.Operator),
        ("2890844526", Token.Number.Integer),
        ("IN", Token.Keyword.Type),
        ("IP4", Token.Keyword.Type),
        ("client.atlanta.example.com", Token.Name.Label),
        ("192.0.2.101", Token.Name.Label),
        ("audio", Token.Name.Builtin),
        ("49170", Token.Number.Integer),
        ("RTP/AVP", Token.Keyword.Type),
        ("8", Token.Number.Integer),
        ("rtpmap", Token.Name.Attribute),
        (":", Token.Punctuation),
        ("0", Token.Number.Integer),
        ("PCMU/8000", Token.String),
        ("recvonly", Token.Name.Attribute),
    ]:
        assert expected in result, expected


def test_malformed_sdp_lines_are_text():
    assert tokens("v = 0\nq\n", SdpLexer()) == [
        ("v = 0", Token.Text),
        ("\n", Token.Text.Whitespace),
        ("q", Token.Text),
        ("\n", Token.Text.Whitespace),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "INVITE sip:a SIP/2.0\nTo: <sip:unbalanced;tag=1\nFrom: x\n",
        'SIP/2.0 200 OK\nTo: "lone quote\nFrom: \\\n',
        "\x00\x01\x02\x85\u2028\ufeff\x0b\x0c\r\r\n\t\n",
        'SIP/2.0 200 OK\nVia:\n ;\n;=\n<>\n>"\n;a="\\',
        "/* never closed\nINVITE sip:a SIP/2.0\n",
    ],
)
def test_odd_input_loses_nothing_and_makes_no_errors(text):
    for lexer in (SipLexer(), SdpLexer()):
        assert not any(t in Error for _, t in tokens(text, lexer))


@pytest.mark.parametrize("content_type", ["", "application/sdp\n", "message/sipfrag\n"])
def test_junk_lexes_in_time_linear_in_its_length(content_type):
    def junk(size):
        rnd = random.Random(5)
        text = "".join(rnd.choices(string.printable + '<>";=\x00\x85é', k=size))
        return f"INVITE sip:a SIP/2.0\nContent-Type: {content_type}\n" + text

    assert not any(t in Error for _, t in tokens(junk(200_000)))
    assert grows_linearly(tokens, junk, 50_000)


@pytest.mark.parametrize(
    "make",
    [
        lambda n: "To: <" + "a" * n,
        lambda n: 'To: "' + "a;" * (n // 2),
        lambda n: "Via: " + "; " * (n // 2),
        lambda n: "x: " + "<" * n,
        lambda n: ";" * n,
        lambda n: "CSeq: " + "1" * n,
        lambda n: "a=" + "1 " * (n // 2),
    ],
)
def test_hostile_lines_lex_in_time_linear_in_their_length(make):
    def both(text):
        for lexer in (SipLexer(), SdpLexer()):
            tokens(text, lexer)

    assert grows_linearly(both, make, 50_000)


def markup_tokens(body: str, lexer) -> list[tuple[str, object]]:
    """Tokens as a reader sees them: runs of one type joined, whitespace left out."""
    joined: list[tuple[str, object]] = []
    for value, token in tokens(body, lexer):
        if joined and joined[-1][1] is token:
            joined[-1] = (joined[-1][0] + value, token)
        else:
            joined.append((value, token))
    return [(value, token) for value, token in joined if token is not Whitespace]


def test_xml_body_lexer_keeps_pygments_token_types():
    result = markup_tokens(DIALOG_INFO + "<!-- c --><![CDATA[x]]>&amp;", XmlBodyLexer())
    for expected in [
        ('<?xml version="1.0"?>', Token.Comment.Preproc),
        ("<dialog-info", Token.Name.Tag),
        ("version=", Token.Name.Attribute),
        ('"0"', Token.String),
        (">", Token.Name.Tag),
        ("confirmed", Token.Text),
        ("</dialog-info>", Token.Name.Tag),
        ("<!-- c -->", Token.Comment.Multiline),
        ("<![CDATA[x]]>", Token.Comment.Preproc),
        ("&amp;", Token.Name.Entity),
    ]:
        assert expected in result, expected


def test_html_body_lexer_keeps_pygments_token_types():
    html = "<!DOCTYPE html><p class='a'>Hi</p><script>if (a<b) x()</script><!-- c -->"
    result = markup_tokens(html, HtmlBodyLexer())
    for expected in [
        ("<!DOCTYPE html>", Token.Comment.Preproc),
        ("p", Token.Name.Tag),
        ("class", Token.Name.Attribute),
        ("'a'", Token.String),
        ("Hi", Token.Text),
        ("script", Token.Name.Tag),
        ("<!-- c -->", Token.Comment.Multiline),
    ]:
        assert expected in result, expected


HOSTILE_MARKUP = ["<!--", "<![CDATA[", "<?", "<!", "&", "&a", "<a b", '<a b="', "</a ", "<"]


def lexing_seconds(lexer, text: str) -> float:
    return seconds(lambda: tokens(text, lexer))


@pytest.mark.parametrize("lexer", [XmlBodyLexer(), HtmlBodyLexer()], ids=["xml", "html"])
@pytest.mark.parametrize("opener", HOSTILE_MARKUP)
def test_unclosed_markup_costs_what_plain_text_of_its_size_does(lexer, opener):
    # Pygments' own lexers rescan the rest of the body at every unclosed "<!--": 40 KB
    # took 2.5 s. Here it costs about as much as 40 KB of ordinary markup.
    hostile = opener * (40_000 // len(opener))
    ordinary = '<a b="c">d</a> ' * (len(hostile) // 15)
    assert not any(t in Error for _, t in tokens(hostile, lexer))
    assert lexing_seconds(lexer, hostile) < 10 * lexing_seconds(lexer, ordinary)
