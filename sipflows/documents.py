"""The one mapping between the library's rows and flow documents (sipflows/sip/flowdoc.py).

A revision's document is what the flow is; the rows (Flow, Participant, Step, Note) are its
projection for lists, search and the admin. `document_from_rows` reads a flow's rows back as a
document; `project_document` makes the rows hold exactly what a document says, updating rows in
place by lane key, step label and note key so their ids stay put across saves.
"""

from __future__ import annotations

from typing import Any

from .models import Flow, Note, Participant, Step


def document_from_rows(flow: Flow) -> dict[str, Any]:
    """The flow's rows as a flow document, the inverse of project_document."""
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


def project_document(flow: Flow, document: dict[str, Any]) -> None:
    """Make the flow's rows hold exactly what the (validated) document says.

    Rows are matched by lane key, step label and note key and updated where they differ;
    rows the document no longer has are deleted last, so no cascade removes a kept row.
    """
    source = document.get("source", {})
    flow.slug = document["slug"]
    flow.title = document["title"]
    flow.summary = document.get("summary", {})
    flow.source_document = source.get("document", "")
    flow.source_section = source.get("section", "")
    flow.save()

    lanes = _upsert(
        Participant,
        {p.key: p for p in flow.participants.all()},
        [
            (p["key"], {"position": i, "key": p["key"], "name": p["name"], "role": p["role"]})
            for i, p in enumerate(document["participants"])
        ],
        flow,
    )
    steps = _upsert(
        Step,
        {s.label: s for s in flow.steps.all()},
        [
            (
                s["label"],
                {
                    "position": i,
                    "label": s["label"],
                    "kind": s["kind"],
                    "sender_id": lanes[s["from"]].pk if "from" in s else None,
                    "receiver_id": lanes[s["to"]].pk if "to" in s else None,
                    "media": s.get("media", ""),
                    "text": s.get("text", {}),
                    "focus": s.get("focus", []),
                    "message": s.get("message", ""),
                    "annotation": s.get("annotation", {}),
                },
            )
            for i, s in enumerate(document["steps"])
        ],
        flow,
    )
    notes = _upsert(
        Note,
        {n.key: n for n in flow.notes.all()},
        [
            (
                n["key"],
                {
                    "position": i,
                    "key": n["key"],
                    "step_id": steps[n["step"]].pk if "step" in n else None,
                    "kind": n["kind"],
                    "where": n.get("where", ""),
                    "as_written": n.get("as_written", ""),
                    "correction": n.get("correction", ""),
                    "discussion": n["discussion"],
                    "acknowledges": n.get("acknowledges", []),
                },
            )
            for i, n in enumerate(document.get("notes", []))
        ],
        flow,
    )
    flow.notes.exclude(pk__in=[n.pk for n in notes.values()]).delete()
    flow.steps.exclude(pk__in=[s.pk for s in steps.values()]).delete()
    flow.participants.exclude(pk__in=[p.pk for p in lanes.values()]).delete()


def _upsert(model, existing: dict, wanted: list[tuple[str, dict[str, Any]]], flow: Flow) -> dict:
    """Rows for `wanted` (key, fields), reusing and updating `existing` rows by key."""
    rows, changed, created = {}, [], []
    for key, fields in wanted:
        row = existing.get(key)
        if row is None:
            row = model(flow=flow, **fields)
            created.append(row)
        elif any(getattr(row, name) != value for name, value in fields.items()):
            for name, value in fields.items():
                setattr(row, name, value)
            changed.append(row)
        rows[key] = row
    if changed:
        model.objects.bulk_update(changed, list(wanted[0][1]))
    if created:  # SQLite and PostgreSQL both hand back the new primary keys
        model.objects.bulk_create(created)
    return rows
