"""Writes to the library. Every write is atomic: a bad document changes nothing."""

from typing import Any

from django.db import transaction

from .models import Flow, Note, Participant, Step


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
