"""Reads from the library, shaped for views, consumers and export."""

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, F, Max, Q, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Flow, FlowRevision, LivePresence, LiveSession, Note, Step
from .search import (
    FlowResults,
    Hit,
    SearchText,
    group_by_flow,
    holds_any,
    owners_holding_all,
    prefer_language,
    query_words,
    snippet,
)
from .sip.lint import Finding, lint_flow
from .sip.reference import KINDS as REFERENCE_KINDS
from .sip.reference import Entry, cached_tokens, header_lines, reference
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


def revision_current_pk(*, slug: str) -> int | None:
    """The id of the revision a flow's pages show now, without loading its document."""
    return (
        FlowRevision.objects.filter(
            flow__slug=slug, flow__is_deleted=False, number=F("flow__version")
        )
        .values_list("pk", flat=True)
        .first()
    )


def revision_by_id(*, pk: int) -> FlowRevision:
    return FlowRevision.objects.select_related("flow").get(pk=pk)


def flow_history(*, slug: str) -> tuple[Flow, list[FlowRevision]]:
    """A flow (deleted ones too) and its revisions, newest first; their documents are loaded
    only when asked for (a history lists many, a diff reads two)."""
    flow = get_object_or_404(Flow, slug=slug)
    revisions = flow.revisions.select_related("author").defer("document_json")
    return flow, list(revisions.order_by("-number"))


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


def notes_all(*, kind: str | None = None, flow_slug: str | None = None) -> list[Note]:
    """Notes in reading order: by RFC section, then step (flow-wide notes first), then position."""
    notes = Note.objects.filter(flow__is_deleted=False).select_related("flow", "step__flow")
    if kind:
        notes = notes.filter(kind=kind)
    if flow_slug:
        notes = notes.filter(flow__slug=flow_slug)
    return sorted(
        notes,
        key=lambda n: (
            section_order(n.flow),
            n.step.position if n.step else -1,
            n.position,
        ),
    )


def flows_with_notes() -> list[Flow]:
    """Flows that have notes, by RFC section."""
    flows = Flow.objects.filter(is_deleted=False, notes__isnull=False).distinct()
    return sorted(flows, key=section_order)


def section_order(flow: Flow) -> tuple:
    """Sorts flows as their document numbers its sections: 2.2 before 2.10."""
    parts = flow.source_section.split(".") if flow.source_section else []
    numbers = tuple(int(p) if p.isdigit() else 0 for p in parts)
    return (flow.source_document, numbers, flow.slug)


def findings_by_step(document: dict[str, Any]) -> dict[str | None, list[Finding]]:
    """The checker's findings on a document by step label, acknowledged ones included."""
    by_step: dict[str | None, list[Finding]] = {}
    for finding in lint_flow(document, include_acknowledged=True):
        by_step.setdefault(finding.step, []).append(finding)
    return by_step


# --- the reference and search over the current library -------------------------------------


@dataclass(frozen=True)
class ReferenceUse:
    """A step of the library that carries a token, with the lines it is on."""

    flow_slug: str
    flow_title: dict
    label: str
    url: str
    lines: str


@dataclass(frozen=True)
class LibraryTexts:
    """What search and the reference pages read, built once per library version."""

    texts: list[SearchText]
    flows: dict[str, tuple[dict, str]]  # slug -> (title, url), in library order
    uses: dict[tuple[str, str], list[ReferenceUse]]


_library_texts: dict[tuple, LibraryTexts] = {}


def library_texts() -> LibraryTexts:
    """The library's searchable texts and token uses; computed again whenever a flow changes."""
    version = tuple(
        Flow.objects.filter(is_deleted=False)
        .aggregate(n=Count("id"), at=Max("updated_at"))
        .values()
    )
    if version not in _library_texts:
        _library_texts.clear()
        _library_texts[version] = _build_library_texts()
    return _library_texts[version]


def _build_library_texts() -> LibraryTexts:
    live = Flow.objects.filter(is_deleted=False)
    flows = {f.slug: (f.title, f.get_absolute_url()) for f in live}
    texts: list[SearchText] = []
    uses: dict[tuple[str, str], list[ReferenceUse]] = {}
    for flow in live:
        url = flow.get_absolute_url()
        owner = ("flow", flow.pk)
        texts += _bilingual(flow.slug, owner, "", url, "title", flow.title)
        texts += _bilingual(flow.slug, owner, "", url, "summary", flow.summary)
    steps = (
        Step.objects.filter(flow__is_deleted=False)
        .select_related("flow")
        .order_by("flow__slug", "position")
    )
    for step in steps:
        url = step.get_absolute_url()
        owner = ("step", step.pk)
        texts += _bilingual(step.flow.slug, owner, step.label, url, "annotation", step.annotation)
        texts += _bilingual(step.flow.slug, owner, step.label, url, "text", step.text)
        if step.message:
            texts.append(
                SearchText(step.flow.slug, owner, step.label, url, "message", "", step.message)
            )
            _add_uses(uses, step, url)
    notes = (
        Note.objects.filter(flow__is_deleted=False)
        .select_related("flow", "step")
        .order_by("flow__slug", "position")
    )
    for note in notes:
        label = note.step.label if note.step else ""
        url = note.step.get_absolute_url() if note.step else note.flow.get_absolute_url()
        url += f"#note-{note.key}"
        owner = ("note", note.pk)
        texts += _bilingual(note.flow.slug, owner, label, url, "discussion", note.discussion)
        for name in ("as_written", "correction"):
            if getattr(note, name):
                texts.append(
                    SearchText(note.flow.slug, owner, label, url, name, "", getattr(note, name))
                )
    return LibraryTexts(texts, flows, uses)


def _bilingual(slug, owner, label, url, field, text: dict) -> list[SearchText]:
    return [
        SearchText(slug, owner, label, url, field, language, text[language])
        for language in ("en", "zh")
        if (text or {}).get(language)
    ]


def _add_uses(uses: dict, step: Step, url: str) -> None:
    """Record the step under each token it carries, with the lines (headers) it is on."""
    lines = step.message.splitlines()
    found: dict[tuple[str, str], dict[int, str]] = {}
    for use in cached_tokens(step.message):
        shown = found.setdefault((use.kind, use.name), {})
        shown.setdefault(use.line, "\n".join(header_lines(lines, use.line)))
    for key, shown in found.items():
        uses.setdefault(key, []).append(
            ReferenceUse(
                step.flow.slug, step.flow.title, step.label, url, "\n".join(shown.values())
            )
        )


def reference_uses(*, kind: str, name: str) -> list[ReferenceUse]:
    """Every step of the library carrying the token, in library order."""
    return library_texts().uses.get((kind, name), [])


REFERENCE_KIND_TITLES = {
    "method": _("Methods"),
    "status": _("Status codes"),
    "header": _("Header fields"),
    "param": _("Header and URI parameters"),
    "option-tag": _("Option tags"),
    "event": _("Event packages"),
    "feature-tag": _("Feature tags"),
    "body": _("Body types"),
    "sdp": _("SDP lines and attributes"),
}
assert set(REFERENCE_KIND_TITLES) == set(REFERENCE_KINDS)


@dataclass(frozen=True)
class ReferenceRow:
    entry: Entry
    steps: int  # how many steps of the library carry it


@dataclass(frozen=True)
class ReferenceSection:
    kind: str
    title: str
    rows: list[ReferenceRow]


def reference_sections() -> list[ReferenceSection]:
    """The whole reference by kind, each entry with the number of steps that carry it."""
    uses = library_texts().uses
    return [
        ReferenceSection(
            kind,
            REFERENCE_KIND_TITLES[kind],
            [ReferenceRow(e, len(uses.get((kind, e.name), []))) for e in entries.values()],
        )
        for kind, entries in reference().items()
    ]


@dataclass(frozen=True)
class FlowUses:
    slug: str
    title: dict
    uses: list[ReferenceUse]


def reference_uses_by_flow(*, kind: str, name: str) -> list[FlowUses]:
    """The steps carrying a token, grouped by flow in library order."""
    groups: dict[str, FlowUses] = {}
    for use in reference_uses(kind=kind, name=name):
        group = groups.setdefault(use.flow_slug, FlowUses(use.flow_slug, use.flow_title, []))
        group.uses.append(use)
    return list(groups.values())


def library_search(*, query: str, language: str = "en", limit: int = 200) -> list[FlowResults]:
    """The texts of the library matching the query, grouped by flow. A flow, step or note
    matches when its texts together hold every word; its texts holding any are shown (where
    both languages of a text hold one, only the one in `language`).

    On PostgreSQL, words without Chinese characters go to its full-text search; otherwise,
    and for Chinese (which its parser does not cut into words), the texts are matched in
    memory, every word as a substring.
    """
    words = query_words(query)
    if not words:
        return []
    library = library_texts()
    if connection.vendor == "postgresql" and not _CJK.search(query):
        owners = _postgres_matches(" ".join(words))
    else:
        owners = owners_holding_all(library.texts, words)
    found = [t for t in library.texts if t.owner in owners and holds_any(t, words)]
    hits = [Hit(t, snippet(t, words)) for t in prefer_language(found, language)]
    return group_by_flow(hits, library.flows, limit)


_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def _postgres_matches(query: str) -> set[tuple[str, int]]:
    """Flows, steps and notes whose texts match the query in PostgreSQL's full-text search
    (the "simple" configuration: SIP words such as Replaces or early-only are not stemmed)."""
    from django.contrib.postgres.search import SearchQuery, SearchVector

    search = SearchQuery(query, config="simple", search_type="plain")
    fields = {
        "flow": (Flow, ["title__en", "title__zh", "summary__en", "summary__zh"]),
        "step": (Step, ["annotation__en", "annotation__zh", "text__en", "text__zh", "message"]),
        "note": (Note, ["discussion__en", "discussion__zh", "as_written", "correction"]),
    }
    owners: set[tuple[str, int]] = set()
    for kind, (model, names) in fields.items():
        vector = SearchVector(*names, config="simple")
        matched = model.objects.annotate(search=vector).filter(search=search)
        owners.update((kind, pk) for pk in matched.values_list("pk", flat=True))
    return owners
