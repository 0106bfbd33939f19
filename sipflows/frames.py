"""The stepper's context and frames: one set of partials for pages, htmx swaps and websockets."""

from dataclasses import dataclass
from functools import partial

from django.http import Http404
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from .ladder import Ladder, LaneSpec, StepSpec, layout_ladder
from .models import Flow, Step
from .selectors import PerFlowVersion, flow_findings
from .sip.highlight import highlight_message
from .sip.message import parse_message
from .templatetags.sipflows import tr

FRAME_TEMPLATE = "sipflows/flow.html#step-frame"


def step_index(steps: list[Step], label: str | None) -> int | None:
    """The position of the step labelled `label`; None for the overview (no label)."""
    if label is None:
        return None
    for index, step in enumerate(steps):
        if step.label == label:
            return index
    raise Http404(f"No step {label}")


def stepper_context(flow: Flow, index: int | None, **extra) -> dict:
    """Everything the stepper partials need; index None is the overview."""
    steps = list(flow.steps.all())
    step = steps[index] if index is not None else None
    context = {
        "flow": flow,
        "steps": steps,
        "step": step,
        "position": index + 1 if step else 0,
        "previous_step": steps[index - 1] if step and index > 0 else None,
        "next_step": steps[0] if not step else steps[index + 1] if index + 1 < len(steps) else None,
        # Only whole pages draw the ladder; templates call this when they do.
        "ladder": partial(ladder_html, flow, translation.get_language(), step and step.label),
        # Pygments output: the formatter escapes every character of the message.
        "message_html": mark_safe(highlight_message(step.message, step.focus))
        if step and step.message
        else "",
        "flow_notes": list(flow.notes.all()),
        "step_findings": flow_findings(flow=flow).get(step.label, []) if step else [],
    }
    context.update(extra)
    return context


def render_frame(flow: Flow, index: int | None, *, language: str, **extra) -> str:
    """The HTML a websocket sends for one step: elements swapped in place by their ids."""
    with translation.override(language):
        return render_to_string(FRAME_TEMPLATE, stepper_context(flow, index, **extra))


def _ladder(flow: Flow, language: str):
    """The ladder's layout; it depends on the language through media and event captions."""
    steps = flow.steps.all()
    lanes = [LaneSpec(key=p.key, name=p.name, role=p.role) for p in flow.participants.all()]
    return layout_ladder(
        lanes,
        [
            StepSpec(
                label=s.label,
                kind=s.kind,
                from_key=s.sender.key if s.sender else None,
                to_key=s.receiver.key if s.receiver else None,
                caption=parse_message(s.message).summary if s.kind == "message" else tr(s.text),
                media=s.media or None,
                has_notes=bool(s.notes.all()),
                url=s.get_absolute_url(),
            )
            for s in steps
        ],
    )


LADDER = "sipflows/ladder.html"


@dataclass(frozen=True)
class LadderParts:
    """A flow's ladder in one language, drawn once per version: its layout and its rows, none
    of them current. A long flow's page then costs a join, not a template loop per step."""

    layout: Ladder
    rows: tuple[str, ...]
    end: str
    index: dict[str, int]  # row position by step label


def _ladder_parts(flow: Flow, language: str) -> LadderParts:
    with translation.override(language):
        layout = _ladder(flow, language)
        row = get_template(f"{LADDER}#ladder-row")
        return LadderParts(
            layout=layout,
            rows=tuple(row.render({"ladder": layout, "row": r}) for r in layout.rows),
            end=get_template(f"{LADDER}#ladder-end").render({}),
            index={r.label: i for i, r in enumerate(layout.rows)},
        )


_ladder_parts_kept = PerFlowVersion(_ladder_parts)


def ladder_html(flow: Flow, language: str, current: str | None) -> str:
    """The ladder's SVG (ladder.html, as rendered whole) with the `current` step marked."""
    parts = _ladder_parts_kept.get(flow, language)
    context = {"ladder": parts.layout, "current": current}
    rows = list(parts.rows)
    with translation.override(language):
        if current in parts.index:
            at = parts.index[current]
            row = get_template(f"{LADDER}#ladder-row")
            rows[at] = row.render({**context, "row": parts.layout.rows[at]})
        top = get_template(f"{LADDER}#ladder-top").render(context)
    # Our own template's output, its user text escaped there.
    return mark_safe(top + "".join(rows) + parts.end)
