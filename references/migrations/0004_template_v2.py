"""Version 2 of the shared reference template: "Would you employ them again?" asks for details when the
referee would *not* (version 1 asked when they would, which is the wrong way round). Everything else is as in
version 1. References written on version 1 keep it, and read as their referees saw them.

The schema is derived from version 1's stored schema here, not from code, so this migration always creates
exactly this version 2 whatever later versions look like.
"""

import copy
from datetime import date

from django.db import migrations

NOTES = (
    "Version 2: “Would you employ them again?” now asks for details when the answer is no (version 1 asked "
    "when it was yes)."
)


def create(apps, schema_editor):
    Template = apps.get_model("references", "ReferenceTemplate")
    first = Template.objects.filter(version=1).first()
    if first is None or Template.objects.filter(version=2).exists():
        return
    schema = copy.deepcopy(first.schema)
    for section in schema["sections"]:
        for question in section["questions"]:
            if question["key"] == "would_re_employ":
                question["details_when"] = "no"
                question["hint"] = "If not, say why."
    Template.objects.create(version=2, title=first.title, schema=schema, published_on=date(2026, 12, 3), notes=NOTES)


def remove(apps, schema_editor):
    apps.get_model("references", "ReferenceTemplate").objects.filter(version=2, references__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("references", "0003_template_drafts")]
    operations = [migrations.RunPython(create, remove)]
