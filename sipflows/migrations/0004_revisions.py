import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sipflows", "0003_note_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="flow",
            name="version",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="flow",
            name="is_deleted",
            field=models.BooleanField(default=False),
        ),
        migrations.CreateModel(
            name="FlowRevision",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.PositiveIntegerField()),
                ("document_json", models.TextField()),
                ("slug", models.SlugField(max_length=64)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("message", models.CharField(blank=True, max_length=200)),
                ("deletes", models.BooleanField(default=False)),
                (
                    "author",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "flow",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revisions",
                        to="sipflows.flow",
                    ),
                ),
            ],
            options={"ordering": ["flow", "number"]},
        ),
        migrations.AddConstraint(
            model_name="flowrevision",
            constraint=models.UniqueConstraint(fields=("flow", "number"), name="unique_revision_number"),
        ),
        migrations.AddField(
            model_name="livesession",
            name="revision",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="sipflows.flowrevision",
            ),
        ),
        migrations.AddField(
            model_name="livesession",
            name="step_label",
            field=models.CharField(blank=True, max_length=16),
        ),
    ]
