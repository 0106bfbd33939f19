"""Writes to the library. Every write is atomic: a bad document changes nothing.

Flow content is written only by flow_save: each save is a new revision holding the whole
document, made on top of the revision the writer started from, and the rows follow it.
"""

import json
import secrets
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import hub
from .documents import project_document
from .models import Flow, FlowRevision, LivePresence, LiveSession
from .sip import flowdoc


class FlowSaveError(ValueError):
    """A save that cannot be made; str() says why. Nothing was written."""


class StaleRevision(FlowSaveError):
    """The flow has moved on since the writer started from `base`."""

    def __init__(self, slug: str, base: int | None, current: int):
        self.slug, self.base, self.current = slug, base, current
        super().__init__(
            f"{slug} is at revision {current} now, but this change was made on revision "
            f"{base or 0}: nothing was saved. Compare the two and save again."
        )


def document_json(document: dict[str, Any]) -> str:
    """How a revision keeps its document: JSON text, keys in the document's own order."""
    return json.dumps(document, ensure_ascii=False)


@transaction.atomic
def flow_save(
    *,
    document: dict[str, Any],
    base_version: int | None,
    flow: Flow | None = None,
    author: Any = None,
    message: str = "",
    deletes: bool = False,
) -> FlowRevision:
    """Save a validated document (sip.flowdoc) as the next revision of `flow`, or as
    revision 1 of a new flow when `flow` is None.

    `base_version` is the revision the writer started from; if the flow has moved on since,
    StaleRevision is raised and nothing is written. `deletes` records the flow's deletion as
    a state of its history (its pages go; its revisions stay and any can be restored).
    A document over the size limits (see check_limits) is refused.
    """
    check_limits(document)
    slug = document["slug"]
    if flow is None:
        if Flow.objects.filter(slug=slug).exists():
            raise FlowSaveError(f"A flow called {slug} is in the library already.")
        flow = Flow.objects.create(slug=slug, title=document["title"])
    else:
        flow = Flow.objects.select_for_update().get(pk=flow.pk)
        if base_version != flow.version:
            raise StaleRevision(flow.slug, base_version, flow.version)
        if Flow.objects.filter(slug=slug).exclude(pk=flow.pk).exists():
            raise FlowSaveError(f"Another flow is called {slug} already; choose another slug.")
    revision = FlowRevision.objects.create(
        flow=flow,
        number=flow.version + 1,
        document_json=document_json(document),
        slug=slug,
        author=author if getattr(author, "is_authenticated", False) else None,
        message=message[: FlowRevision._meta.get_field("message").max_length],
        deletes=deletes,
    )
    project_document(flow, document)
    flow.version, flow.is_deleted = revision.number, deletes
    flow.save(update_fields=["version", "is_deleted", "updated_at"])
    transaction.on_commit(lambda: hub.announce_revision_sync(flow.pk))
    return revision


@transaction.atomic
def flow_revert(*, flow: Flow, number: int, base_version: int, author: Any = None) -> FlowRevision:
    """Make revision `number`'s document the flow's next revision."""
    old = FlowRevision.objects.get(flow=flow, number=number)
    return flow_save(
        document=old.document,
        base_version=base_version,
        flow=flow,
        author=author,
        message=f"Revert to revision {number}",
    )


@transaction.atomic
def flow_delete(
    *, flow: Flow, base_version: int, author: Any = None, message: str = ""
) -> FlowRevision:
    """Delete the flow as a new state of its history, restorable by reverting."""
    current = FlowRevision.objects.get(flow=flow, number=flow.version)
    return flow_save(
        document=current.document,
        base_version=base_version,
        flow=flow,
        author=author,
        message=message or "Deleted",
        deletes=True,
    )


@transaction.atomic
def flows_import(
    *, documents: list[dict[str, Any]], keep_existing: bool = False, message: str = "Imported"
) -> list[FlowRevision]:
    """Save documents as the next revision of the flows with their slugs (or new flows).

    A document equal to its flow's current revision makes no new revision. With
    keep_existing, a slug the library knows in any revision (a flow renamed or deleted by an
    editor included) is left alone, so loading the fixtures again never undoes editors' work.
    """
    saved = []
    for document in documents:
        flow = Flow.objects.filter(slug=document["slug"]).first()
        if keep_existing and (
            flow is not None or FlowRevision.objects.filter(slug=document["slug"]).exists()
        ):
            continue
        if flow is not None and not flow.is_deleted and _current_document(flow) == document:
            continue
        saved.append(
            flow_save(
                document=document,
                base_version=flow.version if flow else None,
                flow=flow,
                message=message,
            )
        )
    return saved


def _current_document(flow: Flow) -> dict[str, Any]:
    return FlowRevision.objects.get(flow=flow, number=flow.version).document


# Join codes avoid look-alike characters (0/O, 1/I/L) so they can be read off a projector.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


@transaction.atomic
def live_session_start(*, flow: Flow, owner) -> LiveSession:
    """A walkthrough of the flow's current revision, which it shows until updated."""
    revision = FlowRevision.objects.get(flow=flow, number=flow.version)
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not LiveSession.objects.filter(code=code).exists():
            return LiveSession.objects.create(flow=flow, revision=revision, owner=owner, code=code)


@transaction.atomic
def live_session_move(*, code: str, to: Callable[[LiveSession], str]) -> LiveSession | None:
    """Put the class on the step labelled `to(session)` ("" is the overview), deciding under
    the row's lock so two moves never both start from the same step. None if the session
    ended or nothing changes.

    The sequence number orders the frames the followers get.
    """
    session = (
        LiveSession.objects.select_for_update().filter(code=code, ended_at__isnull=True).first()
    )
    if session is None:
        return None
    target = to(session)
    if target == session.step_label:
        return None
    session.step_label = target
    session.seq += 1
    session.active_at = timezone.now()
    session.save(update_fields=["step_label", "seq", "active_at"])
    return session


@transaction.atomic
def live_session_update(
    *, code: str, follow: Callable[[LiveSession, FlowRevision], str]
) -> LiveSession | None:
    """Move the class to its flow's current revision, on the step `follow(session, newest)`
    picks (the same label, or the nearest earlier one if it is gone). None if the session
    ended or is on the current revision already."""
    session = (
        LiveSession.objects.select_for_update()
        .select_related("flow", "revision")
        .filter(code=code, ended_at__isnull=True)
        .first()
    )
    if session is None or session.revision.number == session.flow.version:
        return None
    newest = FlowRevision.objects.get(flow=session.flow, number=session.flow.version)
    session.step_label = follow(session, newest)
    session.revision = newest
    session.seq += 1
    session.active_at = timezone.now()
    session.save(update_fields=["step_label", "revision", "seq", "active_at"])
    return session


@transaction.atomic
def live_session_end(*, code: str) -> LiveSession:
    session = LiveSession.objects.select_for_update().get(code=code)
    if session.ended_at is None:
        session.ended_at = timezone.now()
        session.seq += 1
        session.save(update_fields=["ended_at", "seq"])
    return session


# What one flow may hold: a browser, the checker and a class's screens must all keep up.
MAX_MESSAGE_BYTES = 64 * 1024
MAX_DOCUMENT_BYTES = flowdoc.MAX_DOCUMENT_BYTES  # so every saved flow can be imported again
MAX_STEPS = 500


def limit_problems(document: dict[str, Any]) -> list[str]:
    """What makes a document too large to save, in words an editor can act on."""
    problems = []
    steps = document.get("steps") or []
    if len(steps) > MAX_STEPS:
        problems.append(
            f"The flow has {len(steps)} steps; a flow may have at most {MAX_STEPS}. "
            "Split it into several flows."
        )
    for step in steps:
        size = len(str(step.get("message") or "").encode("utf-8"))
        if size > MAX_MESSAGE_BYTES:
            problems.append(
                f"The message of {step.get('label') or 'a step'} is {size} bytes; a message may "
                f"be at most {MAX_MESSAGE_BYTES} bytes (64 KiB)."
            )
    size = len(document_json(document).encode("utf-8"))
    if size > MAX_DOCUMENT_BYTES:
        problems.append(
            f"The flow is {size} bytes as a document; a flow may be at most "
            f"{MAX_DOCUMENT_BYTES} bytes (2 MB)."
        )
    return problems


def check_limits(document: dict[str, Any]) -> None:
    """Raise FlowSaveError naming every limit the document goes over."""
    problems = limit_problems(document)
    if problems:
        raise FlowSaveError(" ".join(problems) + " Nothing was saved.")


@transaction.atomic
def flows_upload(
    *,
    documents: list[dict[str, Any]],
    base_versions: dict[str, int | None],
    author: Any = None,
    message: str = "Uploaded",
) -> list[FlowRevision]:
    """Save uploaded documents all or none: each as the next revision of the flow with its
    slug, made on the version the uploader was shown (None: a new flow), or as a new flow."""
    saved = []
    for document in documents:
        flow = Flow.objects.filter(slug=document["slug"]).first()
        base = base_versions.get(document["slug"])
        if flow is not None and base is None:
            raise StaleRevision(flow.slug, None, flow.version)
        saved.append(
            flow_save(
                document=document, base_version=base, flow=flow, author=author, message=message
            )
        )
    return saved


def live_sessions_end_idle() -> int:
    """End every walkthrough nobody has moved for settings.LIVE_SESSION_IDLE; how many ended.

    Their followers hear of it from the hubs, which read each session's state as they beat.
    """
    now = timezone.now()
    return LiveSession.objects.filter(
        ended_at__isnull=True, active_at__lt=now - settings.LIVE_SESSION_IDLE
    ).update(ended_at=now, seq=F("seq") + 1)


def live_presence_beat(*, code: str, process: str, watching: int, exploring: int) -> None:
    """This process's count of students in the walkthrough, as of now (see LivePresence)."""
    session = LiveSession.objects.filter(code=code).values_list("pk", flat=True).first()
    if session is None:
        return
    LivePresence.objects.update_or_create(
        session_id=session,
        process=process,
        defaults={"watching": watching, "exploring": exploring, "beat_at": timezone.now()},
    )
