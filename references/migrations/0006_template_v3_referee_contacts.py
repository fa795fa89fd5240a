"""Version 3 of the shared reference template: the referee's work email and work phone, each checked, in place
of version 2's one free-text "email or phone" answer, so the region can see where one referee contact vouches
for different candidates, or for the candidate themselves. Everything else is as in version 2. References
written on versions 1 and 2 keep theirs.

The schema is derived from version 2's stored schema here, not from code, so this migration always creates
exactly this version 3 whatever later versions look like. A draft that already took number 3 (an analyst's
work in progress, which no reference uses) moves to the next free number.
"""

import copy
from datetime import date

from django.db import migrations

NOTES = (
    "Version 3: the referee's work email address and work phone number are asked for separately and checked "
    "(they were one free-text answer), so that references sharing a referee's contact can be found."
)
CONTACTS = [
    {
        "key": "referee_email",
        "label": "Referee's work email address",
        "type": "email",
        "required": True,
        "hint": "Their work address at the borough, not a personal one.",
    },
    {
        "key": "referee_phone",
        "label": "Referee's work phone number",
        "type": "phone",
        "required": False,
        "hint": "For example, 020 7946 0000.",
    },
]


def create(apps, schema_editor):
    Template = apps.get_model("references", "ReferenceTemplate")
    second = Template.objects.filter(version=2).first()
    if second is None or Template.objects.filter(version=3, published_on__isnull=False).exists():
        return
    draft = Template.objects.filter(version=3, published_on__isnull=True).first()
    if draft is not None:
        draft.version = Template.objects.order_by("-version").values_list("version", flat=True).first() + 1
        draft.save(update_fields=["version"])
    schema = copy.deepcopy(second.schema)
    for section in schema["sections"]:
        questions = []
        for question in section["questions"]:
            if question["key"] == "referee_contact":
                questions.extend(copy.deepcopy(CONTACTS))
            else:
                questions.append(question)
        section["questions"] = questions
    Template.objects.create(version=3, title=second.title, schema=schema, published_on=date(2026, 12, 3), notes=NOTES)


def remove(apps, schema_editor):
    apps.get_model("references", "ReferenceTemplate").objects.filter(version=3, references__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("references", "0005_contacts_on_references")]
    operations = [migrations.RunPython(create, remove)]
