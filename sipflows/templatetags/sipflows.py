import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

from django import template
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from ..markup import render_markup
from ..sip.flowdiff import marked_pieces
from ..sip.reference import RFC_REFERENCE, rfc_url

register = template.Library()


def content_language() -> str:
    """The flow documents' language for the active UI language: zh for any Chinese, else en."""
    return "zh" if (get_language() or "").startswith("zh") else "en"


@register.filter
def tr(text: dict | None) -> str:
    """Pick the reader's language from a bilingual {en, zh} text, falling back to English."""
    if not text:
        return ""
    return text.get(content_language()) or text.get("en", "")


@register.filter
def marked(line: str, marks) -> list[tuple[str, bool]]:
    """A diff line cut into (text, is_changed) pieces; the template escapes each."""
    return marked_pieces(line, marks)


@register.filter
def diff_value(value) -> str:
    """A changed field's value as a reader sees it: bilingual texts as "en / zh", lists
    joined, nothing as an empty mark."""
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if isinstance(value, dict):
        return " / ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


@register.filter
def changed(items) -> list:
    """The lanes, steps or notes of a diff that are not unchanged."""
    return [item for item in items if item.status != "unchanged"]


@dataclass(frozen=True)
class Piece:
    text: str
    changed: bool


@dataclass(frozen=True)
class NoteDiff:
    written: list[Piece]
    corrected: list[Piece]


_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]")


@register.filter
def note_diff(note) -> NoteDiff:
    """The note's text as written and its correction, each cut into pieces, the pieces that
    differ marked: whole words, or the characters inside a word changed only a little."""
    written, corrected = _TOKEN_RE.findall(note.as_written), _TOKEN_RE.findall(note.correction)
    left: list[Piece] = []
    right: list[Piece] = []
    matcher = SequenceMatcher(None, written, corrected, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        a, b = "".join(written[i1:i2]), "".join(corrected[j1:j2])
        if op == "equal":
            left.append(Piece(a, False))
            right.append(Piece(b, False))
        elif op == "replace" and i2 - i1 == j2 - j1 == 1 and _alike(a, b):
            for piece_op, k1, k2, m1, m2 in SequenceMatcher(None, a, b).get_opcodes():
                left.append(Piece(a[k1:k2], piece_op != "equal"))
                right.append(Piece(b[m1:m2], piece_op != "equal"))
        else:
            left.append(Piece(a, True))
            right.append(Piece(b, True))
    return NoteDiff(_merged(left), _merged(right))


def _alike(a: str, b: str) -> bool:
    return SequenceMatcher(None, a, b).ratio() >= 0.6


def _merged(pieces: list[Piece]) -> list[Piece]:
    merged: list[Piece] = []
    for piece in pieces:
        if not piece.text:
            continue
        if merged and merged[-1].changed == piece.changed:
            merged[-1] = Piece(merged[-1].text + piece.text, piece.changed)
        else:
            merged.append(piece)
    return merged


@register.filter
def kind_counts(notes) -> list[tuple[str, int]]:
    """(kind, how many) for the notes, in the order the kinds first appear."""
    return list(Counter(note.kind for note in notes).items())


@register.filter
def flow_wide(notes) -> list:
    """The notes that belong to the whole flow rather than to one step."""
    return [note for note in notes if note.step is None]


@register.filter(needs_autoescape=True)
def rfc_links(text: str, autoescape: bool = True) -> str:
    """Text with each "RFC 3261 §17.1.3" (or "RFC 3261, section 17.1.3") made a link to the
    RFC Editor's page at that section. The text is escaped; only the links are ours."""
    escape = conditional_escape if autoescape else str
    text = str(text)
    parts, start = [], 0
    for match in RFC_REFERENCE.finditer(text):
        parts.append(escape(text[start : match.start()]))
        parts.append(format_html('<a class="rfc" href="{}">{}</a>', rfc_url(match[0]), match[0]))
        start = match.end()
    parts.append(escape(text[start:]))
    return mark_safe("".join(parts))


@register.filter
def markup(text: str | None):
    """An annotation, discussion or summary in the small Markdown subset, as clean HTML."""
    # nh3 keeps only the subset's tags and safe link schemes: its output is safe to show.
    return mark_safe(_linked_rfc_references(render_markup(text or "")))


_TAG = re.compile(r"(<[^>]*>)")


def _linked_rfc_references(html: str) -> str:
    """Clean HTML with each RFC reference in its text (outside links) made a link to the RFC
    Editor's page at that section, as rfc_links does for plain text."""
    pieces, in_link = [], False
    for piece in _TAG.split(html):
        if piece.startswith("<"):
            in_link = piece.startswith("<a ") or (in_link and piece != "</a>")
        elif not in_link:
            piece = RFC_REFERENCE.sub(
                lambda m: format_html('<a class="rfc" href="{}">{}</a>', rfc_url(m[0]), m[0]),
                piece,
            )
        pieces.append(piece)
    return "".join(pieces)


@register.filter
def work_in_progress(findings) -> bool:
    """A step whose message does not parse (the checker's message-parse errors say why)."""
    return any(f.rule == "message-parse" and f.severity == "error" for f in findings or ())
