"""HTML for a SIP message, with the lines a step is about emphasised."""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Sequence

from pygments import highlight
from pygments.formatters import HtmlFormatter

from .lexers import SipLexer
from .message import SipMessage, parse_message

CSS_CLASS = "sipmsg"
STYLE = "friendly"
_SDP_PREFIX = re.compile(r"[a-z]=")
# Larger bodies are shown as plain text: no real SIP body comes near, and colouring a
# hostile one would cost every reader of the step.
MAX_HIGHLIGHTED_BODY = 16 * 1024
# Highlighted messages kept, by text and focus, up to this many characters of HTML in all:
# a step is highlighted once per version of its message, not on every view.
CACHED_HTML = 32 * 1024 * 1024


def highlight_message(text: str, focus: Sequence[str] = ()) -> str:
    """The message as escaped, highlighted HTML in a <div class="sipmsg">.

    `focus` holds header names (long or compact, any case: "Replaces", "v") and SDP line
    prefixes ("a=sendonly", "c=", "m=audio"); the lines they cover, continuation lines
    included, are wrapped in <span class="hll">. A body over MAX_HIGHLIGHTED_BODY
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
    formatter = HtmlFormatter(nowrap=False, cssclass=CSS_CLASS, hl_lines=focus_lines(text, focus))
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
