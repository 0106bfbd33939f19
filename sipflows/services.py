"""Writes to the library. Every write is atomic: a bad document changes nothing."""

import secrets
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Flow, LiveSession, Note, Participant, Step


@transaction.atomic
def flows_import(*, documents: list[dict[str, Any]], keep_existing: bool = False) -> list[Flow]:
    """Create or replace flows from validated documents (see sip.flowdoc).

    With keep_existing, flows already in the library are left as they are, so loading the
    fixtures again never overwrites an editor's work.
    """
    imported = []
    for document in documents:
        flow = Flow.objects.filter(slug=document["slug"]).first()
        if flow is not None and keep_existing:
            continue
        imported.append(flow_replace(flow=flow, document=document))
    return imported


@transaction.atomic
def flow_replace(*, flow: Flow | None, document: dict[str, Any]) -> Flow:
    """Make `flow` (or a new flow) hold exactly what the document says."""
    if flow is None:
        flow = Flow(slug=document["slug"])
    source = document.get("source", {})
    flow.slug = document["slug"]
    flow.title = document["title"]
    flow.summary = document.get("summary", {})
    flow.source_document = source.get("document", "")
    flow.source_section = source.get("section", "")
    flow.save()
    # Children are rebuilt rather than diffed: documents are small and this keeps
    # positions, labels and references consistent by construction.
    flow.notes.all().delete()
    flow.steps.all().delete()
    flow.participants.all().delete()
    participants = {
        p["key"]: Participant.objects.create(flow=flow, position=i, **p)
        for i, p in enumerate(document["participants"])
    }
    steps = {}
    for position, s in enumerate(document["steps"]):
        steps[s["label"]] = Step.objects.create(
            flow=flow,
            position=position,
            label=s["label"],
            kind=s["kind"],
            sender=participants.get(s.get("from")),
            receiver=participants.get(s.get("to")),
            media=s.get("media", ""),
            text=s.get("text", {}),
            focus=s.get("focus", []),
            message=s.get("message", ""),
            annotation=s.get("annotation", {}),
        )
    Note.objects.bulk_create(
        Note(
            flow=flow,
            step=steps.get(n.get("step")),
            position=position,
            key=n["key"],
            kind=n["kind"],
            where=n.get("where", ""),
            as_written=n.get("as_written", ""),
            correction=n.get("correction", ""),
            discussion=n["discussion"],
            acknowledges=n.get("acknowledges", []),
        )
        for position, n in enumerate(document.get("notes", []))
    )
    return flow


# Join codes avoid look-alike characters (0/O, 1/I/L) so they can be read off a projector.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


@transaction.atomic
def live_session_start(*, flow: Flow, owner) -> LiveSession:
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not LiveSession.objects.filter(code=code).exists():
            return LiveSession.objects.create(flow=flow, owner=owner, code=code)


@transaction.atomic
def live_session_move(*, code: str, to: Callable[[int | None], int | None]) -> LiveSession | None:
    """Put the class on step `to(current step)`, deciding under the row's lock so two moves
    never both start from the same step. None if the session ended or nothing changes.

    The sequence number orders the frames the followers get.
    """
    session = (
        LiveSession.objects.select_for_update().filter(code=code, ended_at__isnull=True).first()
    )
    if session is None:
        return None
    target = to(session.step_index)
    if target == session.step_index:
        return None
    session.step_index = target
    session.seq += 1
    session.save(update_fields=["step_index", "seq"])
    return session


@transaction.atomic
def live_session_end(*, code: str) -> LiveSession:
    session = LiveSession.objects.select_for_update().get(code=code)
    if session.ended_at is None:
        session.ended_at = timezone.now()
        session.seq += 1
        session.save(update_fields=["ended_at", "seq"])
    return session


def live_viewers_change(*, code: str, by: int) -> int:
    """Count a student in or out; returns how many are watching now."""
    LiveSession.objects.filter(code=code).update(viewers=F("viewers") + by)
    return LiveSession.objects.values_list("viewers", flat=True).get(code=code)
