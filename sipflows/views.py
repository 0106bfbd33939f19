from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe

from . import selectors
from .ladder import LaneSpec, StepSpec, layout_ladder
from .models import Flow, Step
from .sip.highlight import highlight_message
from .sip.message import parse_message
from .templatetags.sipflows import tr


def home(request):
    return render(
        request,
        "sipflows/home.html",
        {"groups": selectors.catalog_groups(), "other_flows": selectors.other_flows()},
    )


def flow_page(request, slug: str, label: str | None = None):
    """The flow overview (no label) or one step; htmx requests get only the stepper partial."""
    flow = selectors.flow_get(slug=slug)
    template = "sipflows/flow.html"
    if request.htmx:
        template += "#stepper"
    return render(request, template, _stepper_context(flow, label))


def notes_index(request):
    return render(request, "sipflows/notes.html", {"notes": selectors.notes_all()})


def _stepper_context(flow: Flow, label: str | None) -> dict:
    """Everything the stepper partials need; label None is the overview, before the first step."""
    steps = list(flow.steps.all())
    context = {
        "flow": flow,
        "steps": steps,
        "step": None,
        "position": 0,
        "previous_step": None,
        "next_step": steps[0],
        "ladder": _ladder(flow, steps),
        "message_html": "",
        "flow_notes": list(flow.notes.all()),
    }
    if label is None:
        return context
    index = next((i for i, s in enumerate(steps) if s.label == label), None)
    if index is None:
        raise Http404(f"{flow.slug} has no step {label}")
    step = steps[index]
    context.update(
        step=step,
        position=index + 1,
        previous_step=steps[index - 1] if index > 0 else None,
        next_step=steps[index + 1] if index + 1 < len(steps) else None,
        # Pygments output: every character of the message is escaped by the formatter.
        message_html=mark_safe(highlight_message(step.message, step.focus)) if step.message else "",
    )
    return context


def _ladder(flow: Flow, steps: list[Step]):
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
