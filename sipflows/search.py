"""Searching the library's texts (no ORM here: selectors feed it rows and run the queries).

Every searchable text is a `SearchText`: a flow's title or summary, a step's annotation,
caption or message, a note's discussion, quotation or correction, in one language. A query
is a few words; a flow, step or note matches when its texts together hold every word,
case-insensitively, as a substring. That is also how Chinese is matched, which has no spaces
between words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY = 200
MAX_WORDS = 8
CONTEXT = 70  # characters shown either side of a match in prose
MAX_LINES = 3  # lines shown of a message or a quotation
# Texts laid out in lines, shown line by line rather than as a window of prose.
LINE_FIELDS = frozenset({"message", "as_written", "correction"})


@dataclass(frozen=True)
class SearchText:
    flow: str  # slug
    owner: tuple[str, int]  # ("flow" | "step" | "note", primary key)
    label: str  # the step's label, "" for the flow itself
    url: str
    field: str  # title, summary, annotation, text, message, discussion, as_written, correction
    language: str  # en, zh, or "" for SIP text
    text: str
    folded: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "folded", self.text.casefold())


@dataclass(frozen=True)
class Hit:
    text: SearchText
    snippet: list[tuple[str, bool]]  # (piece, is it a match)


@dataclass
class FlowResults:
    slug: str
    title: dict[str, str]
    url: str
    hits: list[Hit] = field(default_factory=list)


def query_words(query: str) -> list[str]:
    """The words of a query, case-folded, at most MAX_WORDS of them."""
    return [w.casefold() for w in query[:MAX_QUERY].split()][:MAX_WORDS]


def owners_holding_all(texts: list[SearchText], words: list[str]) -> set[tuple[str, int]]:
    """The flows, steps and notes whose texts, taken together, hold every word."""
    missing: dict[tuple[str, int], set[str]] = {}
    for text in texts:
        left = missing.setdefault(text.owner, set(words))
        left.difference_update([w for w in left if w in text.folded])
    return {owner for owner, left in missing.items() if not left and words}


def holds_any(text: SearchText, words: list[str]) -> bool:
    return any(w in text.folded for w in words)


def snippet(text: SearchText, words: list[str]) -> list[tuple[str, bool]]:
    """The part of the text around its matches, cut into pieces that are or are not a match."""
    return mark(_excerpt(text, words), words)


def mark(text: str, words: list[str]) -> list[tuple[str, bool]]:
    if not words:
        return [(text, False)]
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    pieces, start = [], 0
    for match in pattern.finditer(text):
        if match.start() > start:
            pieces.append((text[start : match.start()], False))
        pieces.append((match[0], True))
        start = match.end()
    if start < len(text):
        pieces.append((text[start:], False))
    return pieces


def _excerpt(text: SearchText, words: list[str]) -> str:
    if text.field in LINE_FIELDS:
        lines = [
            line for line in text.text.splitlines() if any(w in line.casefold() for w in words)
        ]
        return "\n".join(lines[:MAX_LINES]) or text.text.splitlines()[0]
    positions = [p for p in (text.folded.find(w) for w in words) if p >= 0]
    first = min(positions, default=0)
    start, end = max(0, first - CONTEXT), min(len(text.text), first + CONTEXT * 2)
    prefix = "…" if start else ""
    suffix = "…" if end < len(text.text) else ""
    return prefix + text.text[start:end] + suffix


def prefer_language(texts: list[SearchText], language: str) -> list[SearchText]:
    """The texts, without the other language's version of a text found in `language` too."""
    in_language = {(t.owner, t.field) for t in texts if t.language == language}
    return [
        t for t in texts if t.language in ("", language) or (t.owner, t.field) not in in_language
    ]


def group_by_flow(
    hits: list[Hit], flows: dict[str, tuple[dict[str, str], str]], limit: int
) -> list[FlowResults]:
    """Hits grouped by flow, flows in library order (`flows`: slug -> (title, url))."""
    groups: dict[str, FlowResults] = {}
    for hit in hits[:limit]:
        slug = hit.text.flow
        if slug not in groups:
            title, url = flows[slug]
            groups[slug] = FlowResults(slug, title, url)
        groups[slug].hits.append(hit)
    order = list(flows)
    return sorted(groups.values(), key=lambda g: order.index(g.slug))
