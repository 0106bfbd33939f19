"""HTML for a SIP message, with the lines a step is about emphasised."""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from html import escape

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.styles.friendly import FriendlyStyle
from pygments.token import Keyword, Name, Number, Punctuation, String, Text, _TokenType

from .lexers import SipLexer
from .message import SipMessage, canonical_name, parse_message
from .reference import (
    AUTH_HEADERS,
    BODY_TYPE_HEADERS,
    EVENT_HEADERS,
    METHOD_HEADERS,
    OPTION_TAG_HEADERS,
    TokenUse,
    is_explained,
    param_use,
    reference_url,
    tip_id,
    uri_pieces,
)

CSS_CLASS = "sipmsg"


class MessageStyle(FriendlyStyle):
    """Pygments' friendly style with every colour SIP messages use at WCAG AA (4.5:1) on the
    message's background, focused lines included."""

    highlight_color = "#fff3c4"
    styles = {
        **FriendlyStyle.styles,
        Number: "#287346",
        Name.Variable: "#8f3fb0",
        String.Other: "#9c4700",
    }


STYLE = MessageStyle
_SDP_PREFIX = re.compile(r"[a-z]=")
# Larger bodies are shown as plain text: no real SIP body comes near, and colouring a
# hostile one would cost every reader of the step.
MAX_HIGHLIGHTED_BODY = 16 * 1024
# Highlighted messages kept, by text and focus, up to this many characters of HTML in all:
# a step is highlighted once per version of its message, not on every view.
CACHED_HTML = 32 * 1024 * 1024


def highlight_message(text: str, focus: Sequence[str] = ()) -> str:
    """The message as escaped, highlighted HTML in a <div class="sipmsg">.

    Every token the reference explains (sip.reference: a method, a header, a parameter, an
    SDP attribute ...) is a link to its reference page, described by the element whose id is
    its `tip_id`. `focus` holds header names (long or compact, any case: "Replaces", "v")
    and SDP line prefixes ("a=sendonly", "c=", "m=audio"); the lines they cover, continuation
    lines included, are wrapped in <span class="hll">. A body over MAX_HIGHLIGHTED_BODY
    characters is escaped but not coloured.
    """
    key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest(), tuple(focus))
    markup = _cache.get(key)
    if markup is None:
        markup = _cache.put(key, _highlighted(text, focus))
    return markup


class _LruCache:
    """Least recently used first out, bounded by the total length of the values."""

    def __init__(self, budget: int):
        self.budget, self.size = budget, 0
        self.values: OrderedDict[object, str] = OrderedDict()

    def get(self, key: object) -> str | None:
        value = self.values.get(key)
        if value is not None:
            self.values.move_to_end(key)
        return value

    def put(self, key: object, value: str) -> str:
        self.values[key] = value
        self.size += len(value)
        while self.size > self.budget and len(self.values) > 1:
            self.size -= len(self.values.popitem(last=False)[1])
        return value


_cache = _LruCache(CACHED_HTML)


def _highlighted(text: str, focus: Sequence[str]) -> str:
    message = parse_message(text)
    colour_body = message.body is None or len(message.body.text) <= MAX_HIGHLIGHTED_BODY
    # Only classes are written; STYLE matters for highlight_css().
    formatter = TokenLinkFormatter(text, cssclass=CSS_CLASS, hl_lines=focus_lines(text, focus))
    return highlight(text, SipLexer(highlight_body=colour_body), formatter)


def highlight_css() -> str:
    """Style rules for the highlighted messages, all scoped to .sipmsg.

    get_style_defs() would also style every <pre> and line-number cell of the page.
    """
    formatter = HtmlFormatter(style=STYLE, cssclass=CSS_CLASS)
    scope = f".{CSS_CLASS}"
    rules = formatter.get_background_style_defs(scope) + formatter.get_token_style_defs(scope)
    return "\n".join(rules)


def focus_lines(text: str, focus: Sequence[str]) -> list[int]:
    """The 1-based line numbers of `text` that the `focus` items cover."""
    message = parse_message(text)
    lines: set[int] = set()
    for item in (f.strip() for f in focus):
        if _SDP_PREFIX.match(item):
            lines.update(_sdp_lines(message, item))
        elif item:
            for header in message.headers_named(item):
                lines.update(range(header.line, header.end_line + 1))
    return sorted(lines)


def _sdp_lines(message: SipMessage, prefix: str) -> list[int]:
    sdp = message.body.sdp if message.body else []
    return [line.line for line in sdp if f"{line.type}={line.value}".startswith(prefix)]


# --- token links ----------------------------------------------------------------------------

Region = tuple[int, str]  # (first line, "sip" | "sdp" | "other")


class TokenLinkFormatter(HtmlFormatter):
    """Pygments' HTML, with every explained token of a SIP message made a link.

    The lexer's tokens carry no offsets, so the formatter counts lines to know which part of
    the message a token is in (headers, an SDP body, a sipfrag, another body) and follows
    the header each parameter belongs to.
    """

    def __init__(self, text: str, **options: object) -> None:
        super().__init__(**options)
        self.regions = message_regions(parse_message(text))

    def _format_lines(self, tokensource: Iterable[tuple[_TokenType, str]]):  # type: ignore[override]
        line: list[str] = []
        for markup in self._linked_parts(tokensource):
            pieces = markup.split("\n")
            for piece in pieces[:-1]:
                line.append(piece)
                yield 1, "".join(line) + "\n"
                line = []
            line.append(pieces[-1])
        if any(line):
            yield 1, "".join(line)

    def _linked_parts(self, tokens: Iterable[tuple[_TokenType, str]]) -> Iterator[str]:
        """Each token's markup: a <span> per line of it, in a link if it is explained."""
        classes: dict[_TokenType, str] = {}
        for ttype, value, use in classify_tokens(tokens, self.regions):
            if ttype not in classes:
                css = self._get_css_classes(ttype)
                classes[ttype] = f'<span class="{css}">' if css else ""
            yield _span(classes[ttype], value, use)


def _span(opener: str, value: str, use: TokenUse | None) -> str:
    closer = "</span>" if opener else ""
    if "\n" in value:
        parts = [opener + p.translate(_ESCAPE) + closer if p else "" for p in value.split("\n")]
        markup = "\n".join(parts)
    else:
        markup = opener + value.translate(_ESCAPE) + closer if value else ""
    if use is None:
        return markup
    href = escape(reference_url(use.kind, use.name))
    return f'<a href="{href}" aria-describedby="{tip_id(use)}">{markup}</a>'


_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})


def message_regions(message: SipMessage, first: int = 1) -> list[Region]:
    """Where the message's parts start: its headers, then its body (a sipfrag recursively)."""
    regions = [(first, "sip")]
    body = message.body
    if body is not None:
        if body.sipfrag is not None:
            regions += message_regions(body.sipfrag, body.line)
        else:
            regions.append((body.line, "sdp" if body.kind == "sdp" else "other"))
    return regions


def classify_tokens(
    tokens: Iterable[tuple[_TokenType, str]], regions: Sequence[Region]
) -> Iterator[tuple[_TokenType, str, TokenUse | None]]:
    """The lexer's tokens, split where a URI or a Digest parameter holds a token of its own,
    each with the reference token it is (or None)."""
    state = _SipState()
    boundaries = list(regions[1:])
    region = regions[0][1]
    line = 1
    for ttype, value in tokens:
        while boundaries and line >= boundaries[0][0]:
            region = boundaries.pop(0)[1]
            state = _SipState()
        if region == "sip":
            yield from state.classify(ttype, value, line)
        elif region == "sdp":
            yield ttype, value, _sdp_use(ttype, value, line, state)
        else:
            yield ttype, value, None
        line += value.count("\n")


def _sdp_use(ttype: _TokenType, value: str, line: int, state: _SipState) -> TokenUse | None:
    if ttype is Keyword:
        state.sdp_type = value
        return _explained(TokenUse("sdp", f"{value}=", line))
    if ttype is Name.Attribute and state.sdp_type == "a" and value:
        return _explained(TokenUse("sdp", "a=" + value.strip().lower(), line))
    return None


def _explained(use: TokenUse) -> TokenUse | None:
    return use if is_explained(use) else None


class _SipState:
    """What the classifier knows at a token: the start line, or the header it is in."""

    def __init__(self) -> None:
        self.header: str | None = None
        self.status_line = False
        self.uri_headers = False  # inside a URI, after its "?"
        self.sdp_type = ""

    def classify(
        self, ttype: _TokenType, value: str, line: int
    ) -> Iterator[tuple[_TokenType, str, TokenUse | None]]:
        header = self.header
        use: TokenUse | None = None
        if ttype is Name.Attribute:
            self.header = canonical_name(value)
            use = TokenUse("header", self.header, line)
        elif ttype is Name.Label:
            yield from self._uri(value, line)
            return
        elif ttype is Punctuation and value == ">":
            self.uri_headers = False
        elif header is None:
            self.status_line = self.status_line or ttype is Keyword.Constant
            if ttype is Keyword:
                use = TokenUse("method", value, line)
            elif ttype is Number.Integer and self.status_line:
                use = TokenUse("status", value, line)
        elif ttype is Keyword and header in METHOD_HEADERS:
            use = TokenUse("method", value, line)
        elif ttype is Name.Variable:
            use = param_use(header, value.lower(), line)
        elif ttype is Text and header in AUTH_HEADERS and "=" in value:
            name, _, rest = value.partition("=")
            yield ttype, name, _explained(TokenUse("param", name.lower(), line, header))
            yield ttype, "=" + rest, None
            return
        elif ttype is Text and header in _WORD_KINDS:
            use = TokenUse(_WORD_KINDS[header], value.lower(), line)
        yield ttype, value, _explained(use) if use else None

    def _uri(self, value: str, line: int) -> Iterator[tuple[_TokenType, str, TokenUse | None]]:
        """A URI, or a piece of one folded over lines: its parameters and embedded headers."""
        for piece, use in uri_pieces(value, line, self.uri_headers):
            self.uri_headers = self.uri_headers or piece == "?"
            yield Name.Label, piece, _explained(use) if use else None


_WORD_KINDS = {
    **dict.fromkeys(OPTION_TAG_HEADERS, "option-tag"),
    **dict.fromkeys(EVENT_HEADERS, "event"),
    **dict.fromkeys(BODY_TYPE_HEADERS, "body"),
}
