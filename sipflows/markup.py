"""The small Markdown subset of annotations, discussions and summaries, rendered safely.

Editors may write *emphasis*, **strong**, `code`, [links](https://...) and lists; nothing
else is Markdown (no headings, quotes, raw HTML, autolinks, entities or tables), because these
texts quote SIP: `<sips:bob@biloxi.example.com>` stays text, and so do `64*T1` and `1*DIGIT`
(an asterisk between two letters or digits never starts or ends emphasis). markdown-it-py
renders, and nh3 keeps only the tags and link schemes listed here, with rel="nofollow noopener"
on every link.
"""

import re

import nh3
from markdown_it import MarkdownIt

_RENDERER = MarkdownIt("zero", {"html": False, "linkify": False, "typographer": False}).enable(
    ["emphasis", "backticks", "link", "list", "escape", "newline"]
)
ALLOWED_TAGS = {"p", "em", "strong", "code", "a", "ul", "ol", "li", "br"}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Code spans are left alone; outside them, an asterisk inside a word is escaped.
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1", re.DOTALL)
_INNER_ASTERISK = re.compile(r"(?<=[^\s*])\*(?=[^\s*])")


def render_markup(text: str) -> str:
    """HTML for a text in the subset: always cleaned, so safe to put in a page."""
    html = _RENDERER.render(_escape_inner_asterisks(text))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes=ALLOWED_SCHEMES,
        link_rel="nofollow noopener",
    )


def _escape_inner_asterisks(text: str) -> str:
    pieces, at = [], 0
    for span in _CODE_SPAN.finditer(text):
        pieces.append(_INNER_ASTERISK.sub(r"\\*", text[at : span.start()]))
        pieces.append(span.group(0))
        at = span.end()
    pieces.append(_INNER_ASTERISK.sub(r"\\*", text[at:]))
    return "".join(pieces)
