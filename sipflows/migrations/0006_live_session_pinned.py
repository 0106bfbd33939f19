import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("sipflows", "0005_first_revisions")]

    operations = [
        migrations.RemoveField(model_name="livesession", name="step_index"),
        migrations.AlterField(
            model_name="livesession",
            name="revision",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.RESTRICT,
                related_name="+",
                to="sipflows.flowrevision",
            ),
        ),
    ]
