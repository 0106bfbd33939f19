"""Pygments lexers for SIP messages (RFC 3261) and SDP bodies (RFC 4566).

Token map, SipLexer:

    Keyword             request method; methods in CSeq, RAck and Allow
    Keyword.Constant    SIP/2.0 in the start line; SIP/2.0/TLS in Via
    Number.Integer      status code; the numbers of CSeq, RAck, Content-Length, Max-Forwards,
                        Expires, Min-Expires, Session-Expires, Min-SE, RSeq, Retry-After
    String              reason phrase
    Name.Attribute      header name
    Punctuation         the colon after it; ";" "," "<" ">"
    Name.Variable       parameter name (tag, branch, received, lr, from-tag, ...)
    Operator            "=" of a parameter
    String.Other        parameter value, token or quoted
    String.Double       other quoted strings: display names, warn-text (String.Escape for \\x)
    Name.Label          every URI: the Request-URI, whatever is in <...>, and bare sip:,
                        sips:, tel:, http:, https:, urn:, mailto:, im:, pres:, cid: URIs
    Comment.Multiline   /* comments */ of RFC listings
    Whitespace          spaces and line breaks
    Text                anything else (Call-ID, host names, option tags, junk lines)

The body, after the empty line that ends the headers (as `parse_message` finds it), is
lexed according to the message's Content-Type: application/sdp by SdpLexer, any XML
type (dialog-info+xml, pidf+xml, ...) by Pygments' XmlLexer, text/html by HtmlLexer,
message/sipfrag by this lexer again (down to MAX_SIPFRAG_DEPTH), anything else as Text.

Token map, SdpLexer:

    Keyword             the line type letter (v, o, s, c, t, m, a, ...)
    Operator            the "=" after it
    Name.Attribute      a= attribute name (rtpmap, sendonly, recvonly, inactive, ...)
    Punctuation         the ":" after the attribute name
    String              the words of an attribute value
    Number.Integer      stand-alone numbers: ports, payload types, session id and version
    Keyword.Type        IN, IP4, IP6; the m= transport (RTP/AVP)
    Name.Label          the address after IN IP4 / IN IP6, like a URI: where to send
    Name.Builtin        the m= media type (audio, video, ...)
    Text                other words, malformed lines

Both lexers use only linear patterns and cover every character, so hostile input neither
hangs them nor produces Error tokens, and the token texts always add up to the input.
Unlike Pygments' default, they keep leading blank lines (stripnl=False), so that line
numbers match those of `parse_message`.
"""

from __future__ import annotations

from collections.abc import Iterator

from pygments.lexer import Lexer, RegexLexer, bygroups, default, include
from pygments.lexers.html import HtmlLexer, XmlLexer
from pygments.lexers.special import TextLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Text,
    Whitespace,
    _TokenType,
)

from .message import LINE_BREAK, SipMessage, parse_message
from .message import TOKEN as TOKEN_RE

__all__ = ["SdpLexer", "SipLexer"]

TokenStream = Iterator[tuple[int, _TokenType, str]]

NL = r"(?:\r\n|\r|\n)"
TOKEN = TOKEN_RE.pattern
VERSION = r"(?i:SIP)/[0-9]+\.[0-9]+"
# A bare URI ends at ";": the parameters after it belong to the header (RFC 3261 §20.10).
BARE_URI = r"(?i:sips?|tel|https?|urn|mailto|im|pres|cid):[^ \t\r\n;,<>\"]+"
QUOTED = r'"(?:[^"\\\r\n]|\\[^\r\n])*"?'
WORD = r'[^ \t\r\n;,<>"]+'
STANDALONE_NUMBER = r"[0-9]+(?![^ \t\r\n])"
NUMERIC_HEADERS = (
    "Content-Length|l|Max-Forwards|Expires|Min-Expires|Session-Expires|x|Min-SE|RSeq|Retry-After"
)


def _header(names: str, state: str) -> tuple[str, object, str]:
    """A rule for a header name (one of `names`) and its colon, going on in `state`."""
    return (
        rf"((?i:{names}))([ \t]*)(:)",
        bygroups(Name.Attribute, Whitespace, Punctuation),
        state,
    )


class _LineKeepingLexer(RegexLexer):
    """Keeps leading blank lines, which Pygments strips by default, so line numbers hold."""

    def __init__(self, **options: object) -> None:
        options.setdefault("stripnl", False)
        super().__init__(**options)


class SipLexer(_LineKeepingLexer):
    """A SIP request, response or sipfrag, with its body."""

    name = "SIP"
    aliases = ["sip"]
    filenames = ["*.sip"]
    mimetypes = ["message/sip", "message/sipfrag"]

    tokens = {
        "root": [  # before the start line
            (rf"[ \t]*{NL}", Whitespace),
            (r"[ \t]*/\*", Comment.Multiline, "comment"),
            (r"[ \t]+", Whitespace),
            (
                rf"({TOKEN})([ \t]+)([^ \t\r\n]+)([ \t]+)({VERSION})",
                bygroups(Keyword, Whitespace, Name.Label, Whitespace, Keyword.Constant),
                "headers",
            ),
            (
                rf"({VERSION})([ \t]+)([0-9]+)([ \t]*)([^\r\n]*)",
                bygroups(Keyword.Constant, Whitespace, Number.Integer, Whitespace, String),
                "headers",
            ),
            default("headers"),  # a sipfrag may start with a header, junk with anything
        ],
        "headers": [  # at the start of a line
            (NL, Whitespace),
            (r"/\*", Comment.Multiline, "comment"),
            (r"[ \t]+", Whitespace, "value"),  # a continuation line
            _header("CSeq|RAck", "sequence"),
            _header(NUMERIC_HEADERS, "numeric"),
            _header("Allow", "methods"),
            _header("Via|v", "via"),
            _header(TOKEN, "value"),
            (r"[^\r\n]+", Text),  # not a header
        ],
        "value": [
            (rf"{NL}(?=[ \t])", Whitespace),  # folded: the header goes on
            (NL, Whitespace, "#pop"),
            (r"[ \t]+", Whitespace),
            (r'"', String.Double, "quoted"),
            (r"<", Punctuation, "angle"),
            (
                rf"(;)([ \t]*)([^ \t\r\n;,=<>\"]+)(?:([ \t]*)(=)([ \t]*)({QUOTED}|{WORD})?)?",
                bygroups(
                    Punctuation,
                    Whitespace,
                    Name.Variable,
                    Whitespace,
                    Operator,
                    Whitespace,
                    String.Other,
                ),
            ),
            (r"[;,>]", Punctuation),
            (BARE_URI, Name.Label),
            (WORD, Text),
        ],
        "quoted": [
            (r'[^"\\\r\n]+', String.Double),
            (r"\\[^\r\n]", String.Escape),
            (r'"', String.Double, "#pop"),
            default("#pop"),  # unterminated: the string ends with the line
        ],
        "angle": [
            (r"[^> \t\r\n]+", Name.Label),
            (rf"{NL}(?=[ \t])|[ \t]+", Whitespace),  # RFC 5359 folds long URIs
            (r">", Punctuation, "#pop"),
            default("#pop"),  # unbalanced "<": the URI ends with the header
        ],
        "sequence": [
            (r"[0-9]+", Number.Integer),
            (TOKEN, Keyword),
            include("value"),
        ],
        "numeric": [
            (r"[0-9]+", Number.Integer),
            include("value"),
        ],
        "methods": [
            (TOKEN, Keyword),
            include("value"),
        ],
        "via": [
            (rf"{VERSION}/[A-Za-z]+", Keyword.Constant),
            include("value"),
        ],
        "comment": [
            (r"[^*]+", Comment.Multiline),
            (r"\*/", Comment.Multiline, "#pop"),
            (r"\*", Comment.Multiline),
        ],
    }

    def get_tokens_unprocessed(self, text: str) -> TokenStream:  # type: ignore[override]
        return self._message_tokens(text, 0, parse_message(text))

    def _message_tokens(self, text: str, start: int, message: SipMessage) -> TokenStream:
        """Tokens of text[start:], which holds `message` (its line numbers count from text)."""
        body = message.body
        split = _line_start(text, body.line) if body else len(text)
        yield from _shifted(super().get_tokens_unprocessed(text[start:split]), start)
        if body is None:
            return
        if body.sipfrag is not None:
            yield from self._message_tokens(text, split, body.sipfrag)
        else:
            lexer = BODY_LEXERS.get(body.kind, TextLexer)()
            yield from _shifted(lexer.get_tokens_unprocessed(text[split:]), split)


class SdpLexer(_LineKeepingLexer):
    """An SDP session description."""

    name = "SDP"
    aliases = ["sdp"]
    filenames = ["*.sdp"]
    mimetypes = ["application/sdp"]

    tokens = {
        "root": [  # at the start of a line
            (r"(a)(=)([^:\r\n]*)", bygroups(Keyword, Operator, Name.Attribute), "attribute"),
            (r"(m)(=)", bygroups(Keyword, Operator), "media"),
            (r"([vosiuepcbtrzk])(=)", bygroups(Keyword, Operator), "fields"),
            (NL, Whitespace),
            (r"[^\r\n]+", Text),  # not an SDP line
        ],
        "attribute": [
            (r":", Punctuation, ("#pop", "attribute-value")),
            include("end-of-line"),
        ],
        "attribute-value": [
            (STANDALONE_NUMBER, Number.Integer),
            (r"[^ \t\r\n]+", String),
            include("end-of-line"),
        ],
        "media": [
            (
                r"([^ \t\r\n]+)([ \t]+)([0-9]+(?:/[0-9]+)?)([ \t]+)([^ \t\r\n]+)",
                bygroups(Name.Builtin, Whitespace, Number.Integer, Whitespace, Keyword.Type),
                ("#pop", "fields"),
            ),
            include("fields"),
        ],
        "fields": [
            (
                r"(IN)([ \t]+)(IP[46])(?:([ \t]+)([^ \t\r\n]+))?",
                bygroups(Keyword.Type, Whitespace, Keyword.Type, Whitespace, Name.Label),
            ),
            (STANDALONE_NUMBER, Number.Integer),
            (r"[^ \t\r\n]+", Text),
            include("end-of-line"),
        ],
        "end-of-line": [
            (r"[ \t]+", Whitespace),
            (NL, Whitespace, "#pop"),
        ],
    }


BODY_LEXERS: dict[str, type[Lexer]] = {
    "sdp": SdpLexer,
    "dialog-info": XmlLexer,
    "xml": XmlLexer,
    "html": HtmlLexer,
}


def _line_start(text: str, line: int) -> int:
    """The offset where 1-based `line` starts, counting line breaks as parse_message does."""
    if line <= 1:
        return 0
    for number, match in enumerate(LINE_BREAK.finditer(text), start=2):
        if number == line:
            return match.end()
    return len(text)


def _shifted(tokens: TokenStream, offset: int) -> TokenStream:
    for index, token, value in tokens:
        yield index + offset, token, value
