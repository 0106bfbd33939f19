"""Revision 1 of every flow already in a library, written from its rows, so an existing
database upgrades without loss; running walkthroughs are pinned to it, on their step's label.

The mapping is this migration's own frozen copy of sipflows.documents.document_from_rows as
it stood then (a migration must not change when that module does).
"""

import json

from django.db import migrations


def _document(flow):
    document = {"slug": flow.slug, "title": flow.title}
    source = {"document": flow.source_document, "section": flow.source_section}
    if any(source.values()):
        document["source"] = {k: v for k, v in source.items() if v}
    if flow.summary:
        document["summary"] = flow.summary
    lanes = {p.pk: p.key for p in flow.participants.order_by("position")}
    document["participants"] = [
        {"key": p.key, "name": p.name, "role": p.role}
        for p in flow.participants.order_by("position")
    ]
    labels = {}
    steps = []
    for s in flow.steps.order_by("position"):
        labels[s.pk] = s.label
        step = {"label": s.label, "kind": s.kind}
        if s.sender_id:
            step["from"] = lanes[s.sender_id]
        if s.receiver_id:
            step["to"] = lanes[s.receiver_id]
        for key in ("media", "text", "focus", "message", "annotation"):
            if getattr(s, key):
                step[key] = getattr(s, key)
        steps.append(step)
    document["steps"] = steps
    notes = []
    for n in flow.notes.order_by("position"):
        note = {"key": n.key}
        if n.step_id:
            note["step"] = labels[n.step_id]
        note["kind"] = n.kind
        for key in ("where", "as_written", "correction"):
            if getattr(n, key):
                note[key] = getattr(n, key)
        note["discussion"] = n.discussion
        if n.acknowledges:
            note["acknowledges"] = n.acknowledges
        notes.append(note)
    if notes:
        document["notes"] = notes
    return document


def first_revisions(apps, schema_editor):
    Flow = apps.get_model("sipflows", "Flow")
    FlowRevision = apps.get_model("sipflows", "FlowRevision")
    LiveSession = apps.get_model("sipflows", "LiveSession")
    for flow in Flow.objects.all():
        if flow.revisions.exists():
            continue
        revision = FlowRevision.objects.create(
            flow=flow,
            number=1,
            document_json=json.dumps(_document(flow), ensure_ascii=False),
            slug=flow.slug,
            message="The library as it was before revisions were kept",
        )
        Flow.objects.filter(pk=flow.pk).update(version=1)
        labels = list(flow.steps.order_by("position").values_list("label", flat=True))
        for session in LiveSession.objects.filter(flow=flow):
            index = session.step_index
            session.revision = revision
            session.step_label = labels[index] if index is not None and index < len(labels) else ""
            session.save(update_fields=["revision", "step_label"])


def create_editor_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="editor")


class Migration(migrations.Migration):
    dependencies = [("sipflows", "0004_revisions"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [
        migrations.RunPython(first_revisions, migrations.RunPython.noop),
        migrations.RunPython(create_editor_group, migrations.RunPython.noop),
    ]
