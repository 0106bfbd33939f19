"""The stepper's context and frames: one set of partials for pages, htmx swaps and websockets.

Everything here is drawn from a flow document: a saved revision (kept per revision, since a
revision never changes) or an editor's unsaved draft (drawn afresh each time). Revisions are
never deleted (a flow's deletion is itself a revision), so a revision's id names it for good.
"""

from functools import partial
from typing import Any

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe

from .drawn import DrawnFlow, Kept, draw, follow_label
from .ladder import LaneSpec, StepSpec, layout_ladder
from .models import FlowRevision
from .selectors import findings_by_step, revision_by_id
from .sip.highlight import highlight_message
from .sip.message import parse_message
from .templatetags.sipflows import tr

FRAME_TEMPLATE = "sipflows/flow.html#step-frame"


def revision_url(revision: FlowRevision, *, current: bool) -> str:
    """Where the revision's step pages live: the flow's own pages for the current one."""
    if current:
        return reverse("flow", args=[revision.slug])
    return reverse("revision", args=[revision.flow.slug, revision.number])


def drawn_revision(revision: FlowRevision, *, base_url: str) -> DrawnFlow:
    """The revision's document drawn with its steps under base_url, kept per revision."""
    return _drawn.get((revision.pk, base_url), revision, base_url)


def _draw_revision(revision: FlowRevision, base_url: str) -> DrawnFlow:
    drawn = draw(revision.document, base_url=base_url)
    drawn.cache_key = (revision.pk, base_url)
    return drawn


_drawn = Kept(_draw_revision)


def drawn_revision_by_id(pk: int) -> DrawnFlow:
    """A revision drawn by its id with its own pages' addresses, as a live walkthrough pinned
    to it needs it (one query the first time)."""
    return _drawn_by_id.get(pk, pk)


def _draw_by_id(pk: int) -> DrawnFlow:
    revision = revision_by_id(pk=pk)
    return drawn_revision(revision, base_url=revision_url(revision, current=False))


_drawn_by_id = Kept(_draw_by_id)


def class_step_after_update(session, newest: FlowRevision) -> str:
    """Where a class on `session`'s step goes when moved to the newest revision."""
    pinned = drawn_revision_by_id(session.revision_id)
    return follow_label(pinned, drawn_revision_by_id(newest.pk), session.step_label)


def stepper_context(flow: DrawnFlow, index: int | None, **extra: Any) -> dict:
    """Everything the stepper partials need; index None is the overview."""
    steps = flow.steps
    step = steps[index] if index is not None else None
    context = {
        "flow": flow,
        "steps": steps,
        "step": step,
        "position": index + 1 if step else 0,
        "previous_step": steps[index - 1] if step and index > 0 else None,
        "next_step": steps[0] if not step else steps[index + 1] if index + 1 < len(steps) else None,
        # Only whole pages draw the ladder; templates call this when they do.
        "ladder": partial(ladder_of, flow, translation.get_language()),
        # Pygments output: the formatter escapes every character of the message.
        "message_html": mark_safe(highlight_message(step.message, step.focus))
        if step and step.message
        else "",
        "flow_notes": flow.notes,
        "step_findings": findings_of(flow).get(step.label, []) if step else [],
    }
    context.update(extra)
    return context


def render_frame(flow: DrawnFlow, index: int | None, *, language: str, **extra: Any) -> str:
    """The HTML a websocket sends for one step: elements swapped in place by their ids."""
    with translation.override(language):
        return render_to_string(FRAME_TEMPLATE, stepper_context(flow, index, **extra))


def findings_of(flow: DrawnFlow):
    """The checker's findings by step label, kept per revision."""
    if flow.cache_key is None:
        return findings_by_step(flow.document)
    return _findings.get(flow.cache_key[0], flow.document)


_findings = Kept(findings_by_step)


def ladder_of(flow: DrawnFlow, language: str):
    """The ladder's layout; it depends on the language through media and event captions."""
    if flow.cache_key is None:
        return _layout(flow)
    return _ladders.get((flow.cache_key, language), flow)


def _layout(flow: DrawnFlow):
    return layout_ladder(
        [LaneSpec(key=lane.key, name=lane.name, role=lane.role) for lane in flow.lanes],
        [
            StepSpec(
                label=s.label,
                kind=s.kind,
                from_key=s.sender.key if s.sender else None,
                to_key=s.receiver.key if s.receiver else None,
                caption=parse_message(s.message).summary if s.kind == "message" else tr(s.text),
                media=s.media or None,
                has_notes=bool(s.notes),
                url=s.url,
            )
            for s in flow.steps
        ],
    )


_ladders = Kept(_layout)


def forget_drawings() -> None:
    """Drop every kept drawing, layout and finding (for tests, whose databases reuse ids)."""
    for kept in (_drawn, _drawn_by_id, _findings, _ladders):
        kept.clear()
