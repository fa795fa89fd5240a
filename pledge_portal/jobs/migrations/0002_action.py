from django.db import migrations, models

# The action each kind of job has always been started under: who may take it sees the job and its file.
ACTION_BY_KIND = {
    "audit.export": "audit.read",
    "returns.validate": "return.check",
    "returns.compliance_pack": "pack.build",
}


def set_action_from_kind(apps, schema_editor):
    TaskRun = apps.get_model("jobs", "TaskRun")
    for kind, action in ACTION_BY_KIND.items():
        TaskRun.objects.filter(kind=kind).update(action=action)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="taskrun",
            name="action",
            field=models.CharField(
                blank=True,
                help_text="The access action the job was started under (audit.read): who may take it on the job's organisation may follow the job and download its file. Blank: only whoever started it.",
                max_length=60,
            ),
        ),
        migrations.RunPython(set_action_from_kind, migrations.RunPython.noop),
    ]
