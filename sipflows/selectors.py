"""Reads from the library, shaped for views, consumers and export."""

import re
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Max, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from .models import Flow, LiveSession, Note, Step
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


def flows_with_content():
    """Flows with their lanes, steps and notes prefetched (a handful of queries in all)."""
    return Flow.objects.prefetch_related(
        "participants",
        Prefetch(
            "steps",
            queryset=Step.objects.select_related("sender", "receiver").prefetch_related("notes"),
        ),
        Prefetch("notes", queryset=Note.objects.select_related("step__flow")),
    )


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
    return get_object_or_404(flows_with_content(), slug=slug)


def flow_find(*, slug: str) -> Flow | None:
    return flows_with_content().filter(slug=slug).first()


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

    def __init__(self, compute, kept: int = 64):
        self.compute, self.kept, self.values = compute, kept, {}

    def get(self, flow: Flow, *extra):
        key = (flow.pk, flow.updated_at, *extra)
        if key not in self.values:
            if len(self.values) >= self.kept:
                self.values.clear()
            self.values[key] = self.compute(flow, *extra)
        return self.values[key]


def _findings_by_step(flow: Flow) -> dict[str | None, list[Finding]]:
    by_step: dict[str | None, list[Finding]] = {}
    for finding in lint_flow(flow_document(flow=flow), include_acknowledged=True):
        by_step.setdefault(finding.step, []).append(finding)
    return by_step


_findings = PerFlowVersion(_findings_by_step)


def flow_findings(*, flow: Flow) -> dict[str | None, list[Finding]]:
    """The checker's findings on the flow by step label, acknowledged ones included (marked)."""
    return _findings.get(flow)


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
    version = tuple(Flow.objects.aggregate(n=Count("id"), at=Max("updated_at")).values())
    if version not in _library_texts:
        _library_texts.clear()
        _library_texts[version] = _build_library_texts()
    return _library_texts[version]


def _build_library_texts() -> LibraryTexts:
    flows = {f.slug: (f.title, f.get_absolute_url()) for f in Flow.objects.all()}
    texts: list[SearchText] = []
    uses: dict[tuple[str, str], list[ReferenceUse]] = {}
    for flow in Flow.objects.all():
        url = flow.get_absolute_url()
        owner = ("flow", flow.pk)
        texts += _bilingual(flow.slug, owner, "", url, "title", flow.title)
        texts += _bilingual(flow.slug, owner, "", url, "summary", flow.summary)
    steps = Step.objects.select_related("flow").order_by("flow__slug", "position")
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
    notes = Note.objects.select_related("flow", "step").order_by("flow__slug", "position")
    for note in notes:
        label = note.step.label if note.step else ""
        url = note.step.get_absolute_url() if note.step else note.flow.get_absolute_url()
        url += f"#note-{note.pk}"
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
