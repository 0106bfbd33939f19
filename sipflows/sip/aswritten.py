"""The RFC as written beside the corrected flow (pure code).

The reader (rfcreader) turns the RFC's text into a flow document as printed: arrows as the
diagram draws them, messages as the listing gives them. Set against the library's corrected
document, each step says whether its arrow and its message are the RFC's own, and marks the
lines the library changed. What the reader itself noticed (a listing that disagrees with the
diagram, a blank line lost at a page break) goes with the step as notes.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from .rfcreader import RfcReading

SAME, WRITTEN, CORRECTED = "same", "written", "corrected"
STEP_REMARK = re.compile(r"^(?P<label>F\d+): ")


@dataclass(frozen=True)
class WrittenLine:
    text: str
    status: str  # same | written (as printed, changed in the library) | corrected (ours)


@dataclass(frozen=True)
class WrittenStep:
    label: str
    sender: str | None  # names as the RFC draws the arrow
    receiver: str | None
    arrow_differs: bool  # the library draws it between other participants
    lines: tuple[WrittenLine, ...]  # the message as listed, the library's lines beside changes
    message_differs: bool
    remarks: tuple[str, ...]  # what the reader noticed here, in its words

    @property
    def differs(self) -> bool:
        return self.arrow_differs or self.message_differs


def compare_as_written(
    corrected: dict[str, Any], written: dict[str, Any]
) -> dict[str, WrittenStep]:
    """Each step the RFC prints, by label, set against the library's step of that label."""
    names = {p["key"]: p["name"] for p in written["participants"]}
    ours = {step["label"]: step for step in corrected["steps"]}
    remarks: dict[str, list[str]] = {}
    for note in written.get("notes", []):
        remarks.setdefault(note.get("step"), []).append(note["discussion"]["en"])
    steps = {}
    for step in written["steps"]:
        mine = ours.get(step["label"], {})
        lines = _lines(step.get("message", ""), mine.get("message", ""))
        steps[step["label"]] = WrittenStep(
            step["label"],
            names.get(step.get("from", "")),
            names.get(step.get("to", "")),
            bool(mine) and (step.get("from"), step.get("to")) != (mine.get("from"), mine.get("to")),
            tuple(lines),
            any(line.status != SAME for line in lines),
            tuple(remarks.get(step["label"], ())),
        )
    return steps


def _lines(written: str, corrected: str) -> list[WrittenLine]:
    """The printed message line by line, each changed run followed by the library's lines."""
    old, new = written.splitlines(), corrected.splitlines()
    if not old:
        return []
    lines = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [WrittenLine(text, SAME) for text in old[i1:i2]]
            continue
        lines += [WrittenLine(text, WRITTEN) for text in old[i1:i2]]
        lines += [WrittenLine(text, CORRECTED) for text in new[j1:j2]]
    return lines


def with_reader_notes(flow: dict[str, Any], reading: RfcReading, source: str) -> dict[str, Any]:
    """The flow read, with what the reader noticed in its section as notes on the steps."""
    section = flow["source"]["section"]
    labels = {step["label"] for step in flow["steps"] if "label" in step}
    notes: list[dict[str, Any]] = []
    for problem in reading.problems:
        if problem.section != section:
            continue
        match = STEP_REMARK.match(problem.message)
        note: dict[str, Any] = {"key": f"R{len(notes) + 1}"}
        if match and match["label"] in labels:
            note["step"] = match["label"]
        note["kind"] = "discussion"
        note["where"] = f"{source}, line {problem.line}"
        note["discussion"] = {"en": problem.message}
        notes.append(note)
    return {**flow, "notes": notes} if notes else flow
