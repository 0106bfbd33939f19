"""Reads from the library, shaped for views, consumers and export."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Flow, FlowRevision, LivePresence, LiveSession, Note
from .sip.lint import Finding, lint_flow
from .sip.rfc5359 import FLOW_SLOTS, GROUPS, FlowSlot

INSTRUCTOR_GROUP = "instructor"
EDITOR_GROUP = "editor"

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
        for f in Flow.objects.filter(is_deleted=False).annotate(
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
    return list(
        Flow.objects.filter(is_deleted=False).exclude(slug__in=[s.slug for s in FLOW_SLOTS])
    )


def flow_get(*, slug: str) -> Flow:
    return get_object_or_404(Flow, slug=slug, is_deleted=False)


def revisions_current(*, slugs: list[str]) -> list[FlowRevision]:
    """The current revisions of the flows with these slugs, in that order (all live flows, by
    slug, when none are named).

    Raises Flow.DoesNotExist naming the first slug the library does not hold.
    """
    revisions = FlowRevision.objects.filter(
        flow__is_deleted=False, number=F("flow__version")
    ).select_related("flow")
    if not slugs:
        return list(revisions.order_by("flow__slug"))
    found = {r.flow.slug: r for r in revisions.filter(flow__slug__in=slugs)}
    for slug in slugs:
        if slug not in found:
            raise Flow.DoesNotExist(f"No flow with slug {slug!r} in the library.")
    return [found[s] for s in slugs]


def revision_current(*, slug: str) -> FlowRevision:
    """The revision a flow's pages show now; 404 for a flow the library does not hold."""
    return get_object_or_404(
        FlowRevision.objects.select_related("flow"),
        flow__slug=slug,
        flow__is_deleted=False,
        number=F("flow__version"),
    )


def revision_get(*, slug: str, number: int) -> FlowRevision:
    """Revision `number` of the flow with this slug, deleted flows included (their history
    stays readable)."""
    return get_object_or_404(
        FlowRevision.objects.select_related("flow", "author"), flow__slug=slug, number=number
    )


def revision_find(*, slug: str, number: int | None = None) -> FlowRevision | None:
    """Like revision_get (revision_current when number is None), None when missing."""
    revisions = FlowRevision.objects.select_related("flow").filter(flow__slug=slug)
    if number is None:
        revisions = revisions.filter(flow__is_deleted=False, number=F("flow__version"))
    else:
        revisions = revisions.filter(number=number)
    return revisions.first()


def revision_by_id(*, pk: int) -> FlowRevision:
    return FlowRevision.objects.select_related("flow").get(pk=pk)


def flow_history(*, slug: str) -> tuple[Flow, list[FlowRevision]]:
    """A flow (deleted ones too) and its revisions, newest first."""
    flow = get_object_or_404(Flow, slug=slug)
    return flow, list(flow.revisions.select_related("author").order_by("-number"))


def flow_document(*, flow: Flow) -> dict[str, Any]:
    """The flow's current document (its current revision's)."""
    return FlowRevision.objects.get(flow=flow, number=flow.version).document


def is_instructor(user) -> bool:
    """Instructors are in the `instructor` group; superusers may teach too."""
    return user.is_authenticated and (
        user.is_superuser or user.groups.filter(name=INSTRUCTOR_GROUP).exists()
    )


def is_editor(user) -> bool:
    """Editors are in the `editor` group; superusers may edit too."""
    return user.is_authenticated and (
        user.is_superuser or user.groups.filter(name=EDITOR_GROUP).exists()
    )


def live_session_get(*, code: str) -> LiveSession:
    return get_object_or_404(
        LiveSession.objects.select_related("flow", "revision"), code=code.upper()
    )


def live_session_find(*, code: str) -> LiveSession | None:
    return LiveSession.objects.select_related("flow", "revision").filter(code=code).first()


@dataclass(frozen=True)
class Presence:
    watching: int
    exploring: int


# A process's count stands for three missed beats (see hub.BEAT_SECONDS), then it is ignored.
PRESENCE_EXPIRY = timedelta(seconds=6)


def live_presence(*, code: str) -> Presence:
    """Students connected to the walkthrough on every live process: following the class, or
    exploring on their own."""
    totals = LivePresence.objects.filter(
        session__code=code, beat_at__gte=timezone.now() - PRESENCE_EXPIRY
    ).aggregate(watching=Sum("watching"), exploring=Sum("exploring"))
    return Presence(watching=totals["watching"] or 0, exploring=totals["exploring"] or 0)


def live_sessions_running(*, flow_pk: int) -> list[str]:
    """Codes of the flow's live walkthroughs that have not ended."""
    return list(
        LiveSession.objects.filter(flow_id=flow_pk, ended_at__isnull=True).values_list(
            "code", flat=True
        )
    )


def notes_all() -> list[Note]:
    return list(
        Note.objects.filter(flow__is_deleted=False)
        .select_related("flow", "step__flow")
        .order_by("flow__slug", "position")
    )


def findings_by_step(document: dict[str, Any]) -> dict[str | None, list[Finding]]:
    """The checker's findings on a document by step label, acknowledged ones included."""
    by_step: dict[str | None, list[Finding]] = {}
    for finding in lint_flow(document, include_acknowledged=True):
        by_step.setdefault(finding.step, []).append(finding)
    return by_step
