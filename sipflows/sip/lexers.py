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
type (dialog-info+xml, pidf+xml, ...) by XmlBodyLexer, text/html by HtmlBodyLexer,
message/sipfrag by this lexer again (down to MAX_SIPFRAG_DEPTH), anything else as Text.
With highlight_body=False the body is left as Text: highlight_message does that for bodies
too large to be worth colouring.

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

XmlBodyLexer and HtmlBodyLexer give the token types of Pygments' XmlLexer and HtmlLexer
(Name.Tag, Name.Attribute, String, Comment.Multiline, Comment.Preproc, Name.Entity), but
comments, CDATA sections, processing instructions and quoted values are states rather than
lazy patterns: Pygments' own rescan the rest of the body at every unclosed "<!--", which
makes 100 KB of them take seconds. Script and style elements stay Text.

All four lexers use only linear patterns and cover every character, so hostile input neither
hangs them nor produces Error tokens, and the token texts always add up to the input.
Unlike Pygments' default, they keep leading blank lines (stripnl=False), so that line
numbers match those of `parse_message`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pygments.lexer import Lexer, RegexLexer, bygroups, default, include
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
from pygments.util import get_bool_opt

from .message import LINE_BREAK, SipMessage, parse_message
from .message import TOKEN as TOKEN_RE

__all__ = ["HtmlBodyLexer", "SdpLexer", "SipLexer", "XmlBodyLexer"]

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

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self.highlight_body = get_bool_opt(options, "highlight_body", True)

    def get_tokens_unprocessed(self, text: str) -> TokenStream:  # type: ignore[override]
        return self._message_tokens(text, 0, parse_message(text))

    def _message_tokens(self, text: str, start: int, message: SipMessage) -> TokenStream:
        """Tokens of text[start:], which holds `message` (its line numbers count from text)."""
        body = message.body
        split = _line_start(text, body.line) if body else len(text)
        yield from _shifted(super().get_tokens_unprocessed(text[start:split]), start)
        if body is None:
            return
        if body.sipfrag is not None and self.highlight_body:
            yield from self._message_tokens(text, split, body.sipfrag)
        else:
            kind = body.kind if self.highlight_body else "text"
            lexer = BODY_LEXERS.get(kind, TextLexer)()
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


def _closed_by(end: str, token: _TokenType) -> list:
    """The rules of a state that runs up to `end` (or the end of the text) as `token`."""
    first = re.escape(end[0])
    return [
        (rf"[^{first}]+", token),
        (re.escape(end), token, "#pop"),
        (first, token),
    ]


# Shared by both markup lexers: what may open at "<" or "&" and runs to its own end.
_MARKUP_STATES = {
    "comment": _closed_by("-->", Comment.Multiline),
    "cdata": _closed_by("]]>", Comment.Preproc),
    "instruction": _closed_by("?>", Comment.Preproc),
    "declaration": _closed_by(">", Comment.Preproc),
    "double-quoted": _closed_by('"', String),
    "single-quoted": _closed_by("'", String),
}
_MARKUP_OPENERS = [
    (r"<!--", Comment.Multiline, "comment"),
    (r"<!\[CDATA\[", Comment.Preproc, "cdata"),
    (r"<\?", Comment.Preproc, "instruction"),
    (r"<!", Comment.Preproc, "declaration"),
    (r"&#?[\w.:-]++;", Name.Entity),
]
_ATTRIBUTE_VALUE = [
    (r"[ \t\r\n]+", Whitespace),
    (r'"', String, ("#pop", "double-quoted")),
    (r"'", String, ("#pop", "single-quoted")),
    (r"[^\s>]+", String, "#pop"),
    default("#pop"),
]


class XmlBodyLexer(_LineKeepingLexer):
    """An XML body (dialog-info, pidf, ...), with the token types of Pygments' XmlLexer."""

    name = "XML body"
    aliases = ["sip-xml-body"]

    tokens = {
        "root": [
            (r"[^<&\s]+", Text),
            (r"\s+", Whitespace),
            *_MARKUP_OPENERS,
            (r"<[ \t\r\n]*+[\w:.-]+", Name.Tag, "tag"),
            (r"<[ \t\r\n]*+/[ \t\r\n]*+[\w:.-]*+[ \t\r\n]*+>?", Name.Tag),
            (r"[<&]", Text),
        ],
        "tag": [
            (r"\s+", Whitespace),
            (
                r"([\w.:-]++)(\s*+)(=)",
                bygroups(Name.Attribute, Whitespace, Name.Attribute),
                "value",
            ),
            (r"[\w.:-]+", Name.Attribute),
            (r"/?\s*+>", Name.Tag, "#pop"),
            (r"<", Text, "#pop"),  # an unclosed tag: the next one starts here
            (r"[^\s\w.:/<>=-]+|[/=]", Text),
        ],
        "value": _ATTRIBUTE_VALUE,
        **_MARKUP_STATES,
    }


class HtmlBodyLexer(_LineKeepingLexer):
    """A text/html body, with the token types of Pygments' HtmlLexer."""

    name = "HTML body"
    aliases = ["sip-html-body"]
    flags = re.IGNORECASE

    tokens = {
        "root": [
            (r"[^<&]+", Text),
            *_MARKUP_OPENERS,
            (
                r"(<)([ \t\r\n]*+)(script|style)\b",
                bygroups(Punctuation, Text, Name.Tag),
                ("raw-text", "tag"),
            ),
            (r"(<)([ \t\r\n]*+)([\w:.-]+)", bygroups(Punctuation, Text, Name.Tag), "tag"),
            (
                r"(<)([ \t\r\n]*+)(/)([ \t\r\n]*+)([\w:.-]++)([ \t\r\n]*+)(>?)",
                bygroups(Punctuation, Text, Punctuation, Text, Name.Tag, Text, Punctuation),
            ),
            (r"[<&]", Text),
        ],
        "tag": [
            (r"\s+", Text),
            (r"([\w:-]++)(\s*+)(=)", bygroups(Name.Attribute, Text, Operator), "value"),
            (r"[\w:-]+", Name.Attribute),
            (r"(/?)(\s*+)(>)", bygroups(Punctuation, Text, Punctuation), "#pop"),
            (r"<", Text, "#pop"),  # an unclosed tag: the next one starts here
            (r"[^\s\w:/<>=-]+|[/=]", Text),
        ],
        "value": _ATTRIBUTE_VALUE,
        # Script and style content up to its end tag, as plain text.
        "raw-text": [
            (r"[^<]+", Text),
            (
                r"(<)([ \t\r\n]*+)(/)([ \t\r\n]*+)(script|style)([ \t\r\n]*+)(>)",
                bygroups(Punctuation, Text, Punctuation, Text, Name.Tag, Text, Punctuation),
                "#pop",
            ),
            (r"<", Text),
        ],
        **_MARKUP_STATES,
    }


BODY_LEXERS: dict[str, type[Lexer]] = {
    "sdp": SdpLexer,
    "dialog-info": XmlBodyLexer,
    "xml": XmlBodyLexer,
    "html": HtmlBodyLexer,
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
