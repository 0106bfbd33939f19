"""HTML for a SIP message, with the lines a step is about emphasised."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.styles.friendly import FriendlyStyle
from pygments.token import Name, Number, String

from .lexers import SipLexer
from .message import SipMessage, parse_message

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


def highlight_message(text: str, focus: Sequence[str] = ()) -> str:
    """The message as escaped, highlighted HTML in a <div class="sipmsg">.

    `focus` holds header names (long or compact, any case: "Replaces", "v") and SDP line
    prefixes ("a=sendonly", "c=", "m=audio"); the lines they cover, continuation lines
    included, are wrapped in <span class="hll">.
    """
    # Only classes are written; STYLE matters for highlight_css().
    formatter = HtmlFormatter(nowrap=False, cssclass=CSS_CLASS, hl_lines=focus_lines(text, focus))
    return highlight(text, SipLexer(), formatter)


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
