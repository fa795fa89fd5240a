"""Seed the 5 DfE core job types. Their codes are stable: the API and spreadsheets use them."""

from django.db import migrations

CORE_ROLES = [
    ("social-worker", "Social worker", "Qualified social worker."),
    ("senior-social-worker", "Senior social worker", "Experienced social worker with a senior role."),
    (
        "advanced-practitioner",
        "Advanced practitioner",
        "Includes assistant team managers and principal social workers.",
    ),
    ("team-manager", "Team manager", "Manages a team of social workers."),
    (
        "iro-cp-chair",
        "Independent reviewing officer / child protection conference chair",
        "Independent reviewing officers and child protection conference chairs.",
    ),
]


def seed(apps, schema_editor):
    role_category = apps.get_model("rates", "RoleCategory")
    for order, (code, name, description) in enumerate(CORE_ROLES, start=1):
        role_category.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "order": order}
        )


def unseed(apps, schema_editor):
    apps.get_model("rates", "RoleCategory").objects.filter(code__in=[c for c, _, _ in CORE_ROLES]).delete()


class Migration(migrations.Migration):
    dependencies = [("rates", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
