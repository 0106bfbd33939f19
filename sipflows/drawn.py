"""A flow document drawn for pages and frames: the objects the stepper's templates read.

Every page, htmx swap and websocket frame of a flow is drawn from a document: the current
revision's, a past revision's, or an editor's unsaved draft. `draw` turns a document into
lanes, steps and notes linked to each other, with each step's address under `base_url` (the
flow's own pages, or a past revision's). Drawn flows of saved revisions never change, so they
are kept per revision (see `Kept`).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DrawnLane:
    key: str
    name: str
    role: str


@dataclass(eq=False)
class DrawnNote:
    key: str
    kind: str
    discussion: dict[str, str]
    where: str = ""
    as_written: str = ""
    correction: str = ""
    acknowledges: list[str] = field(default_factory=list)
    step: DrawnStep | None = None


@dataclass(eq=False)
class DrawnStep:
    label: str
    kind: str
    url: str
    sender: DrawnLane | None = None
    receiver: DrawnLane | None = None
    media: str = ""
    text: dict[str, str] = field(default_factory=dict)
    focus: list[str] = field(default_factory=list)
    message: str = ""
    annotation: dict[str, str] = field(default_factory=dict)
    notes: list[DrawnNote] = field(default_factory=list)

    def get_absolute_url(self) -> str:
        return self.url


@dataclass(eq=False)
class DrawnFlow:
    slug: str
    title: dict[str, str]
    url: str
    document: dict[str, Any]
    summary: dict[str, str] = field(default_factory=dict)
    source_document: str = ""
    source_section: str = ""
    lanes: list[DrawnLane] = field(default_factory=list)
    steps: list[DrawnStep] = field(default_factory=list)
    notes: list[DrawnNote] = field(default_factory=list)
    # Set for a saved revision's drawing, whose ladder and findings can then be kept.
    cache_key: Hashable | None = None

    def get_absolute_url(self) -> str:
        return self.url

    @property
    def labels(self) -> list[str]:
        return [s.label for s in self.steps]

    def index(self, label: str | None) -> int | None:
        """The position of the step labelled `label`; None for the overview or a gone label."""
        if not label:
            return None
        for position, step in enumerate(self.steps):
            if step.label == label:
                return position
        return None


def follow_label(old: DrawnFlow, new: DrawnFlow, label: str) -> str:
    """Where a reader on `label` of `old` goes in `new`: the same step, or else the nearest
    earlier step of `old` that `new` still has, or else the overview ("")."""
    kept = set(new.labels)
    if label in kept:
        return label
    position = old.index(label)
    if position is None:
        return ""
    for earlier in reversed(old.labels[:position]):
        if earlier in kept:
            return earlier
    return ""


def draw(document: dict[str, Any], *, base_url: str) -> DrawnFlow:
    """Lanes, steps and notes of a validated document; step pages live at base_url + label."""
    source = document.get("source", {})
    lanes = {p["key"]: DrawnLane(p["key"], p["name"], p["role"]) for p in document["participants"]}
    steps = [
        DrawnStep(
            label=s["label"],
            kind=s["kind"],
            url=f"{base_url}{s['label']}/",
            sender=lanes.get(s.get("from", "")),
            receiver=lanes.get(s.get("to", "")),
            media=s.get("media", ""),
            text=s.get("text", {}),
            focus=s.get("focus", []),
            message=s.get("message", ""),
            annotation=s.get("annotation", {}),
        )
        for s in document["steps"]
    ]
    by_label = {s.label: s for s in steps}
    notes = []
    for n in document.get("notes", []):
        note = DrawnNote(
            key=n["key"],
            kind=n["kind"],
            discussion=n["discussion"],
            where=n.get("where", ""),
            as_written=n.get("as_written", ""),
            correction=n.get("correction", ""),
            acknowledges=n.get("acknowledges", []),
            step=by_label.get(n.get("step", "")),
        )
        if note.step is not None:
            note.step.notes.append(note)
        notes.append(note)
    return DrawnFlow(
        slug=document["slug"],
        title=document["title"],
        url=base_url,
        document=document,
        summary=document.get("summary", {}),
        source_document=source.get("document", ""),
        source_section=source.get("section", ""),
        lanes=list(lanes.values()),
        steps=steps,
        notes=notes,
    )


class Kept:
    """Values computed from something that never changes (a saved revision), by key.

    Drawing a flow, checking it or laying out its ladder takes milliseconds; a page or frame
    should not pay that every time. The least recently used values go first.
    """

    def __init__(self, compute: Callable[..., Any], kept: int = 128):
        self.compute, self.kept = compute, kept
        self.values: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, *args: Any) -> Any:
        if key in self.values:
            self.values.move_to_end(key)
            return self.values[key]
        value = self.values[key] = self.compute(*args)
        if len(self.values) > self.kept:
            self.values.popitem(last=False)
        return value

    def clear(self) -> None:
        self.values.clear()
