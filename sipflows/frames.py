"""The stepper's context and frames: one set of partials for pages, htmx swaps and websockets."""

from functools import lru_cache, partial

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from .ladder import LaneSpec, StepSpec, layout_ladder
from .models import Flow, Step
from .selectors import PerFlowVersion, flow_findings
from .sip.highlight import highlight_message
from .sip.message import parse_message
from .sip.reference import message_explanations
from .templatetags.sipflows import tr

FRAME_TEMPLATE = "sipflows/flow.html#step-frame"
TIPS_TEMPLATE = "sipflows/token_tips.html"


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
        "ladder": partial(_ladders.get, flow, translation.get_language()),
        # Pygments output: the formatter escapes every character of the message.
        "message_html": mark_safe(highlight_message(step.message, step.focus))
        if step and step.message
        else "",
        # What each token control of the message opens (its aria-describedby).
        "message_tips": _message_tips(step.message, translation.get_language())
        if step and step.message
        else "",
        "flow_notes": list(flow.notes.all()),
        "step_findings": flow_findings(flow=flow).get(step.label, []) if step else [],
    }
    context.update(extra)
    return context


@lru_cache(maxsize=1024)
def _message_tips(message: str, language: str) -> str:
    """The explanations of a message's tokens, rendered once per message and language (the
    reference changes only with the code)."""
    return render_to_string(TIPS_TEMPLATE, {"tips": message_explanations(message)})


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


_ladders = PerFlowVersion(_ladder)
