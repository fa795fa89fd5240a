"""The compliance pack's own app (issue 11). The model was returns.CompliancePack: returns.0003 renamed its
table to packs_compliancepack, rows and all, so here it enters the packs app's state only.

The content type is moved too, not made afresh: audit events about a pack (``pack.requested``, ``pack.ready``,
``pack.downloaded``...) point at it, and the audit table is append-only, so the row they point at must stay
the same row. Its permissions come with it."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODEL = "compliancepack"


def _move_content_type(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    types = ContentType.objects.using(schema_editor.connection.alias)
    old = types.filter(app_label=source, model=MODEL).first()
    if old is None:  # a database that never had a pack's content type: Django makes one after migrating
        return
    new = types.filter(app_label=target, model=MODEL).first()
    if new is not None:
        # Made early (by code that met the moved model before this ran). Nothing can point at it but audit
        # events, which cannot be changed; refuse rather than leave events about packs pointing nowhere.
        if AuditEvent.objects.using(schema_editor.connection.alias).filter(target_type=new).exists():
            raise RuntimeError(
                f"Both {source}.{MODEL} and {target}.{MODEL} content types have audit events; "
                "they cannot be merged in an append-only audit log. Resolve this by hand."
            )
        new.delete()
    old.app_label = target
    old.save(update_fields=["app_label"])
    from django.contrib.contenttypes.models import ContentType as LiveContentType

    LiveContentType.objects.clear_cache()


def content_type_to_packs(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="returns", target="packs")


def content_type_to_returns(apps, schema_editor):
    _move_content_type(apps, schema_editor, source="packs", target="returns")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("audit", "0002_append_only"),
        ("boroughs", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("jobs", "0001_initial"),
        ("returns", "0003_compliance_pack_moves_to_packs"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CompliancePack",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "version",
                            models.PositiveIntegerField(help_text="1, 2, 3... per period and borough (or region)."),
                        ),
                        (
                            "status",
                            models.CharField(
                                choices=[("building", "Building"), ("ready", "Ready"), ("failed", "Failed")],
                                default="building",
                                max_length=10,
                            ),
                        ),
                        (
                            "data_version",
                            models.CharField(
                                help_text="Fingerprint of the data the figures were read from.", max_length=64
                            ),
                        ),
                        ("pdf", models.FileField(blank=True, upload_to="compliance-packs/")),
                        ("xlsx", models.FileField(blank=True, upload_to="compliance-packs/")),
                        ("pdf_sha256", models.CharField(blank=True, max_length=64)),
                        ("xlsx_sha256", models.CharField(blank=True, max_length=64)),
                        ("pdf_size", models.PositiveIntegerField(blank=True, null=True)),
                        ("xlsx_size", models.PositiveIntegerField(blank=True, null=True)),
                        ("pages", models.PositiveIntegerField(blank=True, help_text="Pages in the PDF.", null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("ready_at", models.DateTimeField(blank=True, null=True)),
                        ("error", models.TextField(blank=True)),
                        (
                            "borough",
                            models.ForeignKey(
                                blank=True,
                                help_text="Blank for the regional pack.",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="compliance_packs",
                                to="boroughs.borough",
                            ),
                        ),
                        (
                            "period",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="compliance_packs",
                                to="returns.reportingperiod",
                            ),
                        ),
                        (
                            "requested_by",
                            models.ForeignKey(
                                blank=True,
                                help_text="Blank when the schedule asked for it (the period locked).",
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "task_run",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="compliance_pack",
                                to="jobs.taskrun",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["period", "borough__name", "-version"],
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("borough__isnull", False)),
                                fields=("period", "borough", "version"),
                                name="one_borough_pack_per_version",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("borough__isnull", True)),
                                fields=("period", "version"),
                                name="one_region_pack_per_version",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(
                                    ("borough__isnull", False), models.Q(("status", "failed"), _negated=True)
                                ),
                                fields=("period", "borough", "data_version"),
                                name="one_live_borough_pack_per_data_version",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(
                                    ("borough__isnull", True), models.Q(("status", "failed"), _negated=True)
                                ),
                                fields=("period", "data_version"),
                                name="one_live_region_pack_per_data_version",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("status", "ready"), _negated=True),
                                    models.Q(
                                        models.Q(("pdf", ""), _negated=True),
                                        models.Q(("xlsx", ""), _negated=True),
                                        models.Q(("pdf_sha256", ""), _negated=True),
                                        models.Q(("xlsx_sha256", ""), _negated=True),
                                    ),
                                    _connector="OR",
                                ),
                                name="ready_pack_has_both_files",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],  # the table is returns.0003's, renamed
        ),
        migrations.RunPython(content_type_to_packs, content_type_to_returns),
    ]
