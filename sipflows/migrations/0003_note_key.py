from django.db import migrations, models


def number_notes(apps, schema_editor):
    """Existing notes get N1, N2, ... per flow, in their order, as the document format does."""
    Note = apps.get_model("sipflows", "Note")
    counters: dict[int, int] = {}
    for note in Note.objects.order_by("flow_id", "position"):
        counters[note.flow_id] = counters.get(note.flow_id, 0) + 1
        note.key = f"N{counters[note.flow_id]}"
        note.save(update_fields=["key"])


class Migration(migrations.Migration):
    dependencies = [("sipflows", "0002_instructor_group")]

    operations = [
        migrations.AddField(
            model_name="note",
            name="key",
            field=models.CharField(default="", max_length=16),
            preserve_default=False,
        ),
        migrations.RunPython(number_notes, migrations.RunPython.noop),
    ]
