"""What changed between two flow documents, the way a reader of SIP flows thinks (pure code).

Lanes are compared by key, steps by label and notes by key: each is added, removed, changed
(naming the fields that differ), moved (its place among the others changed), or unchanged.
A changed SIP message is compared line by line, with the changed characters of each changed
line marked on both sides. Either document may be the older one.
"""

from __future__ import annotations

import difflib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .flowdoc import message_for_people

FLOW_FIELDS = ("slug", "title", "summary", "source")
LANE_FIELDS = ("name", "role")
STEP_FIELDS = ("kind", "from", "to", "media", "text", "focus", "message", "annotation")
NOTE_FIELDS = ("step", "kind", "where", "as_written", "correction", "discussion", "acknowledges")

ADDED, REMOVED, CHANGED, MOVED, UNCHANGED = "added", "removed", "changed", "moved", "unchanged"

Span = tuple[int, int]  # [start, end) of changed characters in a line
# Lines longer than this are marked whole: comparing characters grows with the square.
MAX_MARKED_LINE = 2000


@dataclass(frozen=True)
class FieldChange:
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class LineChange:
    """One line of a message diff: kept ("equal"), or only in the old ("delete"), only in the
    new ("insert"), or changed ("replace", with the changed characters marked)."""

    op: str
    old: str | None = None
    new: str | None = None
    old_marks: tuple[Span, ...] = ()
    new_marks: tuple[Span, ...] = ()


@dataclass(frozen=True)
class ItemChange:
    """A lane, step or note: `key` is its key or label; `old`/`new` its two versions."""

    key: str
    status: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: tuple[FieldChange, ...] = ()
    moved: bool = False
    message_lines: tuple[LineChange, ...] = ()


@dataclass(frozen=True)
class FlowDiff:
    flow_fields: tuple[FieldChange, ...]
    lanes: tuple[ItemChange, ...]
    steps: tuple[ItemChange, ...]
    notes: tuple[ItemChange, ...]
    counts: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.flow_fields and not self.counts


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> FlowDiff:
    """Compare two validated flow documents."""
    flow_fields = tuple(_field_changes(old, new, FLOW_FIELDS))
    lanes = _compare(old["participants"], new["participants"], "key", LANE_FIELDS)
    steps = _compare(old["steps"], new["steps"], "label", STEP_FIELDS)
    notes = _compare(old.get("notes", []), new.get("notes", []), "key", NOTE_FIELDS)
    counts: Counter[tuple[str, str]] = Counter()
    for kind, items in (("lane", lanes), ("step", steps), ("note", notes)):
        for item in items:
            if item.status != UNCHANGED:
                counts[(kind, item.status)] += 1
    return FlowDiff(flow_fields, lanes, steps, notes, dict(counts))


def _field_changes(old: dict, new: dict, names: tuple[str, ...]):
    for name in names:
        if old.get(name) != new.get(name):
            yield FieldChange(name, old.get(name), new.get(name))


def _compare(
    old_items: list[dict], new_items: list[dict], key: str, names: tuple[str, ...]
) -> tuple[ItemChange, ...]:
    old_by_key = {item[key]: item for item in old_items}
    new_by_key = {item[key]: item for item in new_items}
    common_old = [item[key] for item in old_items if item[key] in new_by_key]
    common_new = [item[key] for item in new_items if item[key] in old_by_key]
    moved = _moved(common_old, common_new)
    changes: dict[str, ItemChange] = {}
    for item in new_items:
        k = item[key]
        before = old_by_key.get(k)
        if before is None:
            changes[k] = ItemChange(k, ADDED, None, item)
            continue
        fields = tuple(_field_changes(before, item, names))
        status = CHANGED if fields else MOVED if k in moved else UNCHANGED
        lines = ()
        if any(f.name == "message" for f in fields):
            lines = message_lines(before.get("message", ""), item.get("message", ""))
        changes[k] = ItemChange(k, status, before, item, fields, k in moved, lines)
    # Removed items are shown where they stood: after the item before them in the old order.
    order = [item[key] for item in new_items]
    for position, item in enumerate(old_items):
        k = item[key]
        if k in new_by_key:
            continue
        changes[k] = ItemChange(k, REMOVED, item, None)
        previous = [o[key] for o in old_items[:position] if o[key] in changes]
        at = order.index(previous[-1]) + 1 if previous else 0
        order.insert(at, k)
    return tuple(changes[k] for k in order)


def _moved(old_order: list[str], new_order: list[str]) -> set[str]:
    """Keys off the longest run kept in order: the ones a reader sees moved."""
    matcher = difflib.SequenceMatcher(a=old_order, b=new_order, autojunk=False)
    kept = {
        key
        for block in matcher.get_matching_blocks()
        for key in new_order[block.b : block.b + block.size]
    }
    return set(new_order) - kept


def message_lines(old: str, new: str) -> tuple[LineChange, ...]:
    """A SIP message compared line by line, changed characters marked in changed lines."""
    a = message_for_people(old).splitlines() if old else []
    b = message_for_people(new).splitlines() if new else []
    result: list[LineChange] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            result += [LineChange("equal", line, line) for line in a[i1:i2]]
        elif op == "delete":
            result += [LineChange("delete", old=line) for line in a[i1:i2]]
        elif op == "insert":
            result += [LineChange("insert", new=line) for line in b[j1:j2]]
        else:
            pairs = min(i2 - i1, j2 - j1)
            for x, y in zip(a[i1 : i1 + pairs], b[j1 : j1 + pairs], strict=True):
                old_marks, new_marks = changed_spans(x, y)
                result.append(LineChange("replace", x, y, old_marks, new_marks))
            result += [LineChange("delete", old=line) for line in a[i1 + pairs : i2]]
            result += [LineChange("insert", new=line) for line in b[j1 + pairs : j2]]
    return tuple(result)


def changed_spans(old: str, new: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The character ranges that differ between two versions of a line, on each side."""
    if max(len(old), len(new)) > MAX_MARKED_LINE:
        return ((0, len(old)),), ((0, len(new)),)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    old_marks: list[Span] = []
    new_marks: list[Span] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if i2 > i1:
            old_marks.append((i1, i2))
        if j2 > j1:
            new_marks.append((j1, j2))
    return tuple(old_marks), tuple(new_marks)


def marked_pieces(line: str, marks: tuple[Span, ...]) -> list[tuple[str, bool]]:
    """The line cut into (text, is_changed) pieces, for showing the marks."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for start, end in marks:
        if start > at:
            pieces.append((line[at:start], False))
        pieces.append((line[start:end], True))
        at = end
    if at < len(line):
        pieces.append((line[at:], False))
    return pieces
