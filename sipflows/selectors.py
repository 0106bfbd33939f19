"""Reads from the library, shaped for views, consumers and export."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from .models import Flow, LiveSession, Note, Step
from .sip.lint import Finding, lint_flow
from .sip.rfc5359 import FLOW_SLOTS, GROUPS, FlowSlot

INSTRUCTOR_GROUP = "instructor"

GROUP_TITLES = {
    "hold": _("Hold"),
    "transfer": _("Transfer"),
    "forwarding": _("Call forwarding"),
    "conference": _("Conference"),
    "find-me": _("Find-Me"),
    "screening": _("Call screening"),
    "park-pickup": _("Park and pickup"),
    "redial": _("Redial"),
    "click-to-dial": _("Click to dial"),
}
assert set(GROUP_TITLES) == set(GROUPS)


@dataclass(frozen=True)
class CatalogEntry:
    slot: FlowSlot
    flow: Flow | None  # None while the library does not hold this flow yet


@dataclass(frozen=True)
class CatalogGroup:
    key: str
    title: str
    entries: list[CatalogEntry]


def catalog_groups() -> list[CatalogGroup]:
    """Every RFC 5359 slot, grouped, with the library's flow where there is one."""
    flows = {
        f.slug: f
        for f in Flow.objects.annotate(
            message_count=Count("steps", filter=Q(steps__kind="message"))
        )
    }
    return [
        CatalogGroup(
            key=group,
            title=GROUP_TITLES[group],
            entries=[CatalogEntry(s, flows.get(s.slug)) for s in FLOW_SLOTS if s.group == group],
        )
        for group in GROUPS
    ]


def other_flows() -> list[Flow]:
    """Flows in the library that are not one of RFC 5359's service flows."""
    return list(Flow.objects.exclude(slug__in=[s.slug for s in FLOW_SLOTS]))


def _flow_content():
    """What a flow's pages and documents read: lanes, steps (with their ends and notes) and
    notes (with their step)."""
    return (
        "participants",
        Prefetch(
            "steps",
            queryset=Step.objects.select_related("sender", "receiver").prefetch_related("notes"),
        ),
        Prefetch("notes", queryset=Note.objects.select_related("step__flow")),
    )


def flows_with_content():
    """Flows with their lanes, steps and notes prefetched (a handful of queries in all)."""
    return Flow.objects.prefetch_related(*_flow_content())


def flows_named(*, slugs: list[str]) -> list[Flow]:
    """The flows with these slugs, in that order (all flows, by slug, when none are named).

    Raises Flow.DoesNotExist naming the first slug the library does not hold.
    """
    flows = flows_with_content().order_by("slug")
    if not slugs:
        return list(flows)
    found = {f.slug: f for f in flows.filter(slug__in=slugs)}
    for slug in slugs:
        if slug not in found:
            raise Flow.DoesNotExist(f"No flow with slug {slug!r} in the library.")
    return [found[s] for s in slugs]


def flow_get(*, slug: str) -> Flow:
    flow = flow_find(slug=slug)
    if flow is None:
        raise Http404(f"No flow {slug}")
    return flow


def flow_find(*, slug: str) -> Flow | None:
    """The flow with its content, loaded once per saved version: a page or a stepper socket
    of a long flow reads the flow's row, not every step again, each time."""
    flow = Flow.objects.filter(slug=slug).first()
    if flow is None:
        return None
    return _flows_loaded.kept((flow.pk, flow.updated_at), lambda: _with_content(flow))


def _with_content(flow: Flow) -> Flow:
    prefetch_related_objects([flow], *_flow_content())
    return flow


def is_instructor(user) -> bool:
    """Instructors are in the `instructor` group; superusers may teach too."""
    return user.is_authenticated and (
        user.is_superuser or user.groups.filter(name=INSTRUCTOR_GROUP).exists()
    )


def live_session_get(*, code: str) -> LiveSession:
    return get_object_or_404(LiveSession.objects.select_related("flow"), code=code.upper())


def live_session_find(*, code: str) -> LiveSession | None:
    return LiveSession.objects.filter(code=code).first()


def live_session_flow(*, code: str) -> Flow:
    return flows_with_content().get(live_sessions__code=code)


def notes_all() -> list[Note]:
    return list(
        Note.objects.select_related("flow", "step__flow").order_by("flow__slug", "position")
    )


def flow_document(*, flow: Flow) -> dict[str, Any]:
    """The flow as a flow document (sip.flowdoc), the inverse of services.flow_replace."""
    document: dict[str, Any] = {"slug": flow.slug, "title": flow.title}
    source = {"document": flow.source_document, "section": flow.source_section}
    if any(source.values()):
        document["source"] = {k: v for k, v in source.items() if v}
    if flow.summary:
        document["summary"] = flow.summary
    document["participants"] = [
        {"key": p.key, "name": p.name, "role": p.role} for p in flow.participants.all()
    ]
    document["steps"] = [_step_document(s) for s in flow.steps.all()]
    notes = [_note_document(n) for n in flow.notes.all()]
    if notes:
        document["notes"] = notes
    return document


def _step_document(step: Step) -> dict[str, Any]:
    doc: dict[str, Any] = {"label": step.label, "kind": step.kind}
    if step.sender:
        doc["from"] = step.sender.key
    if step.receiver:
        doc["to"] = step.receiver.key
    optional = {
        "media": step.media,
        "text": step.text,
        "focus": step.focus,
        "message": step.message,
        "annotation": step.annotation,
    }
    doc.update({k: v for k, v in optional.items() if v})
    return doc


def _note_document(note: Note) -> dict[str, Any]:
    doc: dict[str, Any] = {"key": note.key}
    if note.step:
        doc["step"] = note.step.label
    doc["kind"] = note.kind
    optional = {"where": note.where, "as_written": note.as_written, "correction": note.correction}
    doc.update({k: v for k, v in optional.items() if v})
    doc["discussion"] = note.discussion
    if note.acknowledges:
        doc["acknowledges"] = note.acknowledges
    return doc


class PerFlowVersion:
    """Values computed from a flow, kept for each saved version of it (its updated_at).

    Checking a flow or laying out its ladder takes milliseconds; a page or frame should not
    pay that every time. A handful of versions are kept, then the memory starts afresh.
    """

    def __init__(self, compute=None, kept: int = 64):
        self.compute, self.most, self.values = compute, kept, {}

    def get(self, flow: Flow, *extra):
        return self.kept((flow.pk, flow.updated_at, *extra), lambda: self.compute(flow, *extra))

    def kept(self, key: tuple, make):
        """The value kept under `key` (which names a version), made now if there is none."""
        if key not in self.values:
            if len(self.values) >= self.most:
                self.values.clear()
            self.values[key] = make()
        return self.values[key]


_flows_loaded = PerFlowVersion(kept=32)


def _findings_by_step(flow: Flow) -> dict[str | None, list[Finding]]:
    by_step: dict[str | None, list[Finding]] = {}
    for finding in lint_flow(flow_document(flow=flow), include_acknowledged=True):
        by_step.setdefault(finding.step, []).append(finding)
    return by_step


_findings = PerFlowVersion(_findings_by_step)


def flow_findings(*, flow: Flow) -> dict[str | None, list[Finding]]:
    """The checker's findings on the flow by step label, acknowledged ones included (marked)."""
    return _findings.get(flow)
