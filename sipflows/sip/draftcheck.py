"""Every problem of a flow document at once, not only the first (pure code, no Django).

`validate_document` stops at the first problem. An editor or an uploader wants the whole list
before fixing anything, so `validate_collecting` validates, notes the problem, puts a harmless
stand-in where the culprit was (keeping labels and keys, so later problems are named as they
would be) and validates again, until the document passes or nothing more can be learned.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .flowdoc import KEY_RE, LABEL_RE, FlowDocumentError, validate_document

MAX_PROBLEMS = 50
_ITEM = re.compile(r"^(participants|notes)\[(\d+)\]")
# Top-level keys whose bad value can be stood in for; a bad participants or steps list cannot.
_TOP_STAND_INS: dict[str, Any] = {"slug": "stand-in", "title": {"en": "stand-in"}}
_DROPPABLE_TOP = ("source", "summary", "notes")


def validate_collecting(
    raw: Any, *, name: str
) -> tuple[dict[str, Any] | None, list[FlowDocumentError]]:
    """The validated document and no problems, or None and every problem found."""
    document = copy.deepcopy(raw)
    problems: list[FlowDocumentError] = []
    while len(problems) < MAX_PROBLEMS:
        try:
            validated = validate_document(document, name=name)
        except FlowDocumentError as problem:
            problems.append(problem)
            if not _stand_in(document, problem):
                break
            continue
        return (None, problems) if problems else (validated, [])
    return None, problems


def _stand_in(document: Any, problem: FlowDocumentError) -> bool:
    """Replace what `problem` is about by something valid; False when that is not possible."""
    if not isinstance(document, dict):
        return False
    if problem.step is not None:
        return _stand_in_step(document, problem.step)
    key = problem.key or ""
    item = _ITEM.match(key)
    if item:
        return _stand_in_item(document, item.group(1), int(item.group(2)))
    if key in _TOP_STAND_INS:
        document[key] = copy.deepcopy(_TOP_STAND_INS[key])
        return True
    if key in _DROPPABLE_TOP:
        document.pop(key, None)
        return True
    if key == "" and "unknown key" in problem.problem:
        unknown = re.search(r"unknown key '([^']*)'", problem.problem)
        if unknown and unknown.group(1) in document:
            del document[unknown.group(1)]
            return True
    return False


def _stand_in_step(document: dict[str, Any], step: str) -> bool:
    steps = document.get("steps")
    if not isinstance(steps, list):
        return False
    for index, item in enumerate(steps):
        label = item.get("label") if isinstance(item, dict) else None
        if str(label) == step or (label is None and step == f"#{index + 1}"):
            taken = [s.get("label") for s in steps if isinstance(s, dict) and s is not item]
            keep = isinstance(label, str) and LABEL_RE.match(label) and label not in taken
            steps[index] = {
                "label": label if keep else f"x{index}-stand-in"[:16],
                "kind": "event",
                "text": {"en": "stand-in"},
            }
            return True
    return False


def _stand_in_item(document: dict[str, Any], list_key: str, index: int) -> bool:
    items = document.get(list_key)
    if not isinstance(items, list) or index >= len(items):
        return False
    item = items[index] if isinstance(items[index], dict) else {}
    key = item.get("key")
    others = [i.get("key") for n, i in enumerate(items) if n != index and isinstance(i, dict)]
    pattern = KEY_RE if list_key == "participants" else LABEL_RE
    if not (isinstance(key, str) and pattern.match(key) and key not in others):
        key = f"x{index}-stand-in"[:16]
    if list_key == "participants":
        items[index] = {"key": key, "name": "stand-in", "role": "ua"}
    else:
        items[index] = {"key": key, "kind": "discussion", "discussion": {"en": "stand-in"}}
    return True
