"""What a step page shows beyond the step: what changed, the dialogs at this step, the RFC as
printed. Computed from the drawn flow's document and the as-written document, once per revision
(an editor's draft is computed afresh)."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from django.conf import settings

from .drawn import DrawnFlow, Kept
from .sip.analysis import FlowAnalysis
from .sip.aswritten import WrittenStep, compare_as_written
from .sip.dialogs import DialogState, FlowStates, StepState
from .sip.flowdoc import FlowDocumentError, parse_documents
from .sip.whatchanged import Comparison, flow_comparisons

AS_WRITTEN_DIR = settings.BASE_DIR / "fixtures" / "as-written"


@dataclass(frozen=True)
class FlowDepth:
    comparisons: dict[str, Comparison]
    states: dict[str, StepState]  # participant names, not keys, for the page
    dialogs: list[DialogState]
    dialog_of: dict[str, int]  # step label -> index of its dialog
    as_written: dict[str, WrittenStep] | None  # None: the RFC does not print this flow


def as_written_document(slug: str) -> dict[str, Any] | None:
    """The flow as RFC 5359 prints it, kept in fixtures/as-written (refresh_as_written)."""
    path = Path(AS_WRITTEN_DIR, f"{slug}.yaml")
    try:
        return parse_documents(path.read_bytes(), name=path.name)[0]
    except (OSError, FlowDocumentError):
        return None


def _flow_depth(flow: DrawnFlow) -> FlowDepth:
    document = flow.document
    analysis = FlowAnalysis(document, {})
    states = FlowStates(analysis)
    written = as_written_document(flow.slug)
    return FlowDepth(
        comparisons=flow_comparisons(analysis),
        states={label: _named(state, analysis.who) for label, state in states.after.items()},
        dialogs=[_named_dialog(d, analysis.who) for d in states.dialogs()],
        dialog_of=states.dialog_of,
        as_written=compare_as_written(document, written) if written else None,
    )


def _named_dialog(dialog: DialogState, who: Callable[[str], str]) -> DialogState:
    return replace(
        dialog,
        caller=replace(dialog.caller, participant=who(dialog.caller.participant)),
        callee=replace(dialog.callee, participant=who(dialog.callee.participant)),
    )


def _named(state: StepState, who: Callable[[str], str]) -> StepState:
    return StepState(
        tuple(_named_dialog(d, who) for d in state.dialogs),
        tuple(
            replace(s, subscriber=who(s.subscriber), notifier=who(s.notifier))
            for s in state.subscriptions
        ),
        tuple(replace(t, client=who(t.client), server=who(t.server)) for t in state.transactions),
    )


_depths = Kept(_flow_depth)


def flow_depth(flow: DrawnFlow) -> FlowDepth:
    if flow.cache_key is None:
        return _flow_depth(flow)
    return _depths.get(flow.cache_key[0], flow)


def step_depth_context(flow: DrawnFlow, label: str | None) -> dict[str, Any]:
    """The stepper context entries of the depth partials for one step (None: the overview)."""
    depth = flow_depth(flow)
    as_written = depth.as_written or {}
    return {
        "dialog_legend": depth.dialogs,
        "has_as_written": depth.as_written is not None,
        "as_written_differs": [label for label, step in as_written.items() if step.differs],
        "step_comparison": depth.comparisons.get(label) if label else None,
        "step_state": depth.states.get(label) if label else None,
        "step_as_written": as_written.get(label) if label else None,
    }
