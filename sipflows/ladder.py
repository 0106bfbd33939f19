"""Ladder-diagram layout: turns lanes and steps into plain SVG geometry.

Pure Python on purpose (no Django, no ORM) so it is trivially testable and
the template only has to print numbers and strings, never compute them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Text metrics: a rough average advance for a 14px sans-serif font. Being a
# little generous is cheaper than captions colliding with lifelines.
CHAR_WIDTH = 7.5
NAME_CHAR_WIDTH = 8.5  # lane names are bold
CAPTION_PAD = 28  # breathing room around a caption between two lifelines

MIN_SPACING = 160  # between adjacent lifelines
MIN_MARGIN = 70  # left/right of the outer lifelines
BADGE_GUTTER = 32  # right-hand column that holds the notes badges
HEADER_HEIGHT = 52
ROW_GAP = 36  # vertical distance between rows
BODY_PAD = 14  # above the first and below the last row

HEAD_LEN = 10  # message arrowhead
HEAD_HALF = 5
MEDIA_OFFSET = 3  # half the distance between the two media lines
MEDIA_HEAD_LEN = 12
MEDIA_HEAD_HALF = 8
CROSS = 6  # half size of the "no media" cross
LOOP_WIDTH = 30  # self-message loop
LOOP_HALF = 6
EVENT_INSET = 24  # event boxes overhang the outer lifelines by this much
EVENT_HALF = 12
BADGE_RADIUS = 8
GHOST_OFFSET = 10  # an arrow as the RFC drew it runs this far below the corrected one
GHOST_HEAD_LEN = 8
GHOST_HEAD_HALF = 4

# In a note quoting the RFC: a diagram row of lifelines, an arrow between two of them, and a
# listing heading such as "F11 200 OK Announcement Server -> Proxy 1".
DIAGRAM_ROW_RE = re.compile(r"^\s*\|.*\|\s*$")
DIAGRAM_ARROW_RE = re.compile(r"\|(<?-{2,}>?)\|")
LISTING_HEADING_RE = re.compile(r"^\s*F\d+\s+(?P<sender>.+?)\s+->\s+(?P<receiver>.+?)\s*$")

KINDS = ("message", "media", "event")
MEDIA_MODES = ("two-way", "one-way", "none")


@dataclass(frozen=True)
class LaneSpec:
    key: str
    name: str
    role: str  # "ua" | "proxy" | "server"


@dataclass(frozen=True)
class StepSpec:
    label: str  # "F1", "M1", "E1"
    kind: str  # "message" | "media" | "event"
    from_key: str | None
    to_key: str | None
    caption: str
    media: str | None  # "two-way" | "one-way" | "none" for media steps
    has_notes: bool
    url: str
    # What the RFC wrote about this step where it is wrong (rfc-defect notes' as_written):
    # an arrow or a listing heading quoted there that differs from the step is drawn ghosted.
    as_written: tuple[str, ...] = ()
    dialog: int | None = None  # the dialog a message belongs to, for colouring by dialog


@dataclass(frozen=True)
class Ghost:
    """An arrow as the RFC drew or listed it, where that is not the way the message goes."""

    sender: str
    receiver: str
    path: str
    head: str


@dataclass(frozen=True)
class Lane:
    key: str
    name: str
    role: str
    x: int


@dataclass(frozen=True)
class Row:
    label: str
    kind: str
    y: int
    x1: int  # sender (or left edge for events)
    x2: int  # receiver (or right edge for events)
    direction: str  # "right" | "left" | "self" | "span"
    caption: str
    label_text: str  # "F7 INVITE"
    media: str | None
    has_notes: bool
    url: str
    sender: str  # participant names, for the row's accessible description
    receiver: str
    # Optional messages ("(100 Trying)") and "no media" rows are dashed.
    dashed: bool
    # Drawing, all precomputed so the template does no arithmetic.
    text_x: int
    text_y: int
    text_anchor: str  # "middle" | "start" | "end"
    band_y: int  # top of the highlight band behind the row
    badge_x: int
    badge_y: int
    badge_text_y: int
    # Paths run sender -> receiver so a dash animation draws the arrow in the
    # direction the message travels.
    paths: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()  # polygon points
    cross: str = ""  # path for the "no media" mark
    box_x: int = 0  # event box; zero-sized for other kinds
    box_y: int = 0
    box_width: int = 0
    box_height: int = 0
    dialog: int | None = None
    ghost: Ghost | None = None


@dataclass(frozen=True)
class Ladder:
    width: int
    height: int  # header + body
    header_height: int
    body_height: int
    row_gap: int
    badge_radius: int
    lanes: tuple[Lane, ...]
    rows: tuple[Row, ...]


def text_width(text: str, char_width: float = CHAR_WIDTH) -> int:
    return math.ceil(len(text) * char_width)


def label_text(step: StepSpec) -> str:
    return f"{step.label} {step.caption}".strip()


def layout_ladder(lanes: Sequence[LaneSpec], steps: Sequence[StepSpec]) -> Ladder:
    """Lay out a ladder diagram; raises ValueError on inconsistent input."""
    index = _lane_index(lanes)
    for step in steps:
        _validate(step, index)
    gaps = _gaps(lanes, steps, index)
    left = _margin(lanes[0])
    xs = [left + sum(gaps[:i]) for i in range(len(lanes))]
    width = xs[-1] + _margin(lanes[-1]) + BADGE_GUTTER
    body_height = 2 * BODY_PAD + len(steps) * ROW_GAP
    placed = tuple(
        Lane(spec.key, spec.name, spec.role, x) for spec, x in zip(lanes, xs, strict=True)
    )
    rows = tuple(_row(step, i, placed, index, width) for i, step in enumerate(steps))
    return Ladder(
        width=width,
        height=HEADER_HEIGHT + body_height,
        header_height=HEADER_HEIGHT,
        body_height=body_height,
        row_gap=ROW_GAP,
        badge_radius=BADGE_RADIUS,
        lanes=placed,
        rows=rows,
    )


def _lane_index(lanes: Sequence[LaneSpec]) -> dict[str, int]:
    if not lanes:
        raise ValueError("a ladder needs at least one lane")
    index = {lane.key: i for i, lane in enumerate(lanes)}
    if len(index) != len(lanes):
        raise ValueError("lane keys must be unique")
    return index


def _validate(step: StepSpec, index: dict[str, int]) -> None:
    if step.kind not in KINDS:
        raise ValueError(f"step {step.label}: unknown kind {step.kind!r}")
    if step.kind == "event":
        return  # events span every lane; their keys are not drawn
    if step.kind == "media" and step.media not in MEDIA_MODES:
        raise ValueError(f"step {step.label}: unknown media mode {step.media!r}")
    for key in (step.from_key, step.to_key):
        if key is None:
            raise ValueError(f"step {step.label}: {step.kind} needs from and to lanes")
        if key not in index:
            raise ValueError(f"step {step.label}: unknown lane key {key!r}")


def _gaps(lanes: Sequence[LaneSpec], steps: Sequence[StepSpec], index: dict[str, int]) -> list[int]:
    """Distance between each pair of adjacent lifelines.

    Each caption asks for room across the gaps it spans, shared evenly; each
    gap takes the largest request, the neighbouring lane names, or the minimum.
    """
    gaps = [
        max(MIN_SPACING, (_name_width(a) + _name_width(b)) // 2 + CAPTION_PAD)
        for a, b in zip(lanes, lanes[1:], strict=False)
    ]
    for step in steps:
        first, last, need = _span_request(step, index, len(lanes))
        for g in range(first, last):
            gaps[g] = max(gaps[g], math.ceil(need / (last - first)))
    return gaps


def _span_request(step: StepSpec, index: dict[str, int], n_lanes: int) -> tuple[int, int, int]:
    """(first gap, end gap, width needed) for one step's caption."""
    need = text_width(label_text(step)) + CAPTION_PAD
    if step.kind == "event":
        return 0, n_lanes - 1, need - 2 * EVENT_INSET
    a, b = index[step.from_key], index[step.to_key]  # type: ignore[index]
    if a == b:  # self loop: its caption sits beside the loop, in one gap
        g = min(a, n_lanes - 2)
        return (g, g + 1, need + LOOP_WIDTH) if g >= 0 else (0, 0, 0)
    return min(a, b), max(a, b), need


def _name_width(lane: LaneSpec) -> int:
    return text_width(lane.name, NAME_CHAR_WIDTH)


def _margin(lane: LaneSpec) -> int:
    return max(MIN_MARGIN, _name_width(lane) // 2 + CAPTION_PAD // 2)


def _row(
    step: StepSpec,
    i: int,
    lanes: tuple[Lane, ...],
    index: dict[str, int],
    width: int,
) -> Row:
    y = BODY_PAD + i * ROW_GAP + ROW_GAP // 2
    if step.kind == "event":
        geometry = _event_geometry(y, lanes)
    else:
        a, b = index[step.from_key], index[step.to_key]  # type: ignore[index]
        if a == b:
            geometry = _loop_geometry(y, a, lanes)
        elif step.kind == "media":
            geometry = _media_geometry(y, lanes[a].x, lanes[b].x, step.media)
        else:
            geometry = _message_geometry(y, lanes[a].x, lanes[b].x)
    return Row(
        label=step.label,
        kind=step.kind,
        y=y,
        caption=step.caption,
        label_text=label_text(step),
        media=step.media if step.kind == "media" else None,
        has_notes=step.has_notes,
        url=step.url,
        sender=lanes[index[step.from_key]].name if step.kind != "event" and step.from_key else "",
        receiver=lanes[index[step.to_key]].name if step.kind != "event" and step.to_key else "",
        dashed=_is_dashed(step),
        dialog=step.dialog,
        band_y=y - ROW_GAP // 2,
        badge_x=width - BADGE_GUTTER // 2,
        badge_y=y,
        badge_text_y=y + 4,
        ghost=_ghost(step, y, lanes, index),
        **geometry,
    )


def _ghost(step: StepSpec, y: int, lanes: tuple[Lane, ...], index: dict[str, int]) -> Ghost | None:
    """The arrow as the RFC drew it, else as its listing heads it, where it is not the step's."""
    if step.kind != "message":
        return None
    actual = (index[step.from_key], index[step.to_key])  # type: ignore[index]
    drawn = [_drawn_arrow(text, len(lanes)) for text in step.as_written]
    listed = [_listed_arrow(text, lanes) for text in step.as_written]
    wrong = [pair for pair in drawn + listed if pair and pair != actual and pair[0] != pair[1]]
    if not wrong:
        return None
    a, b = wrong[0]
    x1, x2, ghost_y = lanes[a].x, lanes[b].x, y + GHOST_OFFSET
    sign = 1 if x2 > x1 else -1
    return Ghost(
        sender=lanes[a].name,
        receiver=lanes[b].name,
        path=f"M{x1},{ghost_y} H{x2 - sign * GHOST_HEAD_LEN}",
        head=_head(x2, ghost_y, sign, GHOST_HEAD_LEN, GHOST_HEAD_HALF),
    )


def _drawn_arrow(text: str, n_lanes: int) -> tuple[int, int] | None:
    """(sender, receiver) lane indexes of an ASCII arrow quoted with every lifeline of the flow."""
    rows = [line for line in text.splitlines() if DIAGRAM_ROW_RE.match(line)]
    columns: list[int] = []
    for column in sorted({i for row in rows for i, char in enumerate(row) if char == "|"}):
        if not columns or column - columns[-1] > 1:
            columns.append(column)
    if len(columns) != n_lanes:
        return None  # a partial drawing: its lifelines cannot be told apart
    for row in rows:
        match = DIAGRAM_ARROW_RE.search(row)
        if not match or match.group(1).startswith("<") == match.group(1).endswith(">"):
            continue
        left, right = columns.index(match.start()), columns.index(match.end() - 1)
        return (right, left) if match.group(1).startswith("<") else (left, right)
    return None


def _listed_arrow(text: str, lanes: tuple[Lane, ...]) -> tuple[int, int] | None:
    """(sender, receiver) of a listing heading, lanes named as the RFC names them ("Proxy 1")."""
    for line in text.splitlines():
        match = LISTING_HEADING_RE.match(line)
        if not match:
            continue
        sender = _lane_named(match["sender"], lanes, str.endswith)
        receiver = _lane_named(match["receiver"], lanes, str.startswith)
        if sender is not None and receiver is not None:
            return sender, receiver
    return None


def _lane_named(words: str, lanes: tuple[Lane, ...], fits) -> int | None:
    named = [i for i, lane in enumerate(lanes) if fits(words.lower(), lane.name.lower())]
    return max(named, key=lambda i: len(lanes[i].name), default=None)


def _is_dashed(step: StepSpec) -> bool:
    if step.kind == "media":
        return step.media == "none"
    return step.kind == "message" and step.caption.startswith("(")


def _head(tip: int, y: int, sign: int, length: int, half: int) -> str:
    """Arrowhead polygon whose tip is at (tip, y), pointing towards sign."""
    base = tip - sign * length
    return f"{base},{y - half} {tip},{y} {base},{y + half}"


def _message_geometry(y: int, x1: int, x2: int) -> dict[str, Any]:
    sign = 1 if x2 > x1 else -1
    return {
        "x1": x1,
        "x2": x2,
        "direction": "right" if sign > 0 else "left",
        "paths": (f"M{x1},{y} H{x2 - sign * HEAD_LEN}",),
        "heads": (_head(x2, y, sign, HEAD_LEN, HEAD_HALF),),
        "text_x": (x1 + x2) // 2,
        "text_y": y - 7,
        "text_anchor": "middle",
    }


def _media_geometry(y: int, x1: int, x2: int, mode: str | None) -> dict[str, Any]:
    sign = 1 if x2 > x1 else -1
    start, end = x1, x2
    heads: tuple[str, ...] = ()
    if mode in ("one-way", "two-way"):
        end = x2 - sign * MEDIA_HEAD_LEN
        heads = (_head(x2, y, sign, MEDIA_HEAD_LEN, MEDIA_HEAD_HALF),)
    if mode == "two-way":
        start = x1 + sign * MEDIA_HEAD_LEN
        heads = (_head(x1, y, -sign, MEDIA_HEAD_LEN, MEDIA_HEAD_HALF), *heads)
    mid = (x1 + x2) // 2
    cross = ""
    if mode == "none":
        cross = (
            f"M{mid - CROSS},{y - CROSS} L{mid + CROSS},{y + CROSS} "
            f"M{mid - CROSS},{y + CROSS} L{mid + CROSS},{y - CROSS}"
        )
    return {
        "x1": x1,
        "x2": x2,
        "direction": "right" if sign > 0 else "left",
        "paths": tuple(f"M{start},{y + dy} H{end}" for dy in (-MEDIA_OFFSET, MEDIA_OFFSET)),
        "heads": heads,
        "cross": cross,
        "text_x": mid,
        "text_y": y - MEDIA_OFFSET - 7,
        "text_anchor": "middle",
    }


def _loop_geometry(y: int, lane: int, lanes: tuple[Lane, ...]) -> dict[str, Any]:
    # Loop to the right, except on the last lane where there is no gap there.
    sign = -1 if lane == len(lanes) - 1 and len(lanes) > 1 else 1
    x = lanes[lane].x
    far = x + sign * LOOP_WIDTH
    top, bottom = y - LOOP_HALF, y + LOOP_HALF
    return {
        "x1": x,
        "x2": x,
        "direction": "self",
        "paths": (f"M{x},{top} H{far} V{bottom} H{x + sign * HEAD_LEN}",),
        "heads": (_head(x, bottom, -sign, HEAD_LEN, HEAD_HALF),),
        "text_x": far + sign * 8,
        "text_y": y + 5,
        "text_anchor": "start" if sign > 0 else "end",
    }


def _event_geometry(y: int, lanes: tuple[Lane, ...]) -> dict[str, Any]:
    left, right = lanes[0].x - EVENT_INSET, lanes[-1].x + EVENT_INSET
    return {
        "x1": left,
        "x2": right,
        "direction": "span",
        "text_x": (left + right) // 2,
        "text_y": y + 5,
        "text_anchor": "middle",
        "box_x": left,
        "box_y": y - EVENT_HALF,
        "box_width": right - left,
        "box_height": 2 * EVENT_HALF,
    }
