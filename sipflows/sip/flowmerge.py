"""Bringing two versions of a flow together, field by field (pure code, no Django).

When an editor's draft ("mine") was started on revision `base` and someone else saved
"theirs" meanwhile, every difference between theirs and mine is a choice: for a changed field
of a lane, step or note (or of the flow), whose value to keep; for a lane, step or note only
one side has, whether to keep it. `merge_choices` lists them with a sensible default (the side
that changed it since base), and `merge_documents` builds the merged document. Nothing of
either side is lost: what is not chosen stays in the other version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .flowdiff import ADDED, CHANGED, REMOVED, diff_documents

MINE, THEIRS = "mine", "theirs"
LISTS = (("lane", "participants", "key"), ("step", "steps", "label"), ("note", "notes", "key"))


@dataclass(frozen=True)
class MergeChoice:
    """One difference between theirs and mine. `field` is None for a whole lane, step or
    note that only one side has (`mine` or `theirs` is then None)."""

    kind: str  # flow | lane | step | note
    key: str  # the lane key, step label or note key ("" for the flow)
    field: str | None
    mine: Any
    theirs: Any
    default: str

    @property
    def name(self) -> str:
        return f"merge:{self.kind}:{self.key}:{self.field or ''}"


def merge_choices(base: dict[str, Any], theirs: dict[str, Any], mine: dict[str, Any]):
    """Every difference between theirs and mine, as choices, in the order of the flow."""
    diff = diff_documents(theirs, mine)
    choices = [
        MergeChoice("flow", "", f.name, f.new, f.old, MINE if base.get(f.name) != f.new else THEIRS)
        for f in diff.flow_fields
    ]
    for kind, list_key, key in LISTS:
        base_items = {item[key]: item for item in base.get(list_key, [])}
        for item in getattr(diff, _DIFF_PARTS[kind]):
            before = base_items.get(item.key)
            if item.status == CHANGED:
                for f in item.fields:
                    unchanged_by_me = before is not None and before.get(f.name) == f.new
                    choices.append(
                        MergeChoice(
                            kind,
                            item.key,
                            f.name,
                            f.new,
                            f.old,
                            THEIRS if unchanged_by_me else MINE,
                        )
                    )
            elif item.status == ADDED:  # only mine has it: they removed it, or I added it
                removed_by_them = before is not None and before == item.new
                choices.append(
                    MergeChoice(
                        kind, item.key, None, item.new, None, THEIRS if removed_by_them else MINE
                    )
                )
            elif item.status == REMOVED:  # only theirs has it: I removed it, or they added it
                removed_by_me = before is not None and before == item.old
                choices.append(
                    MergeChoice(
                        kind, item.key, None, None, item.old, MINE if removed_by_me else THEIRS
                    )
                )
    return choices


_DIFF_PARTS = {"lane": "lanes", "step": "steps", "note": "notes"}


def merge_documents(
    theirs: dict[str, Any], mine: dict[str, Any], chosen: dict[str, str], choices
) -> dict[str, Any]:
    """Mine, with theirs taken wherever `chosen` (choice name -> mine|theirs, the default
    where missing) says so. The result is a raw document: validate it before saving."""
    merged = copy.deepcopy(mine)
    for choice in choices:
        if chosen.get(choice.name, choice.default) != THEIRS:
            continue
        if choice.kind == "flow" and choice.field is not None:
            _take(merged, choice.field, theirs)
        else:
            _take_item(merged, theirs, choice)
    return merged


def _take(target: dict[str, Any], field: str, source: dict[str, Any]) -> None:
    if field in source:
        target[field] = copy.deepcopy(source[field])
    else:
        target.pop(field, None)


def _take_item(merged: dict[str, Any], theirs: dict[str, Any], choice: MergeChoice) -> None:
    _, list_key, key = next(spec for spec in LISTS if spec[0] == choice.kind)
    items = merged.setdefault(list_key, [])
    position = next((i for i, item in enumerate(items) if item[key] == choice.key), None)
    if choice.field is not None:
        if position is not None:
            their_item = next(i for i in theirs[list_key] if i[key] == choice.key)
            _take(items[position], choice.field, their_item)
    elif choice.theirs is None:  # leave out the item only mine has
        if position is not None:
            del items[position]
    else:  # keep their item, after the item before it in their order
        their_keys = [item[key] for item in theirs[list_key]]
        earlier = their_keys[: their_keys.index(choice.key)]
        mine_keys = [item[key] for item in items]
        after = [mine_keys.index(k) for k in earlier if k in mine_keys]
        items.insert(max(after) + 1 if after else 0, copy.deepcopy(choice.theirs))
    if not items and list_key == "notes":
        del merged[list_key]
