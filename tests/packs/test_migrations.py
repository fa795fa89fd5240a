"""Moving the compliance pack from returns to packs keeps every pack, and audit events about a pack keep their
target: a pack made before the move (through the historical model) is read, whole, after it."""

from datetime import date

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from packs.models import CompliancePack
from pledge_portal.audit.models import AuditEvent
from pledge_portal.jobs.models import TaskRun
from returns.models import ReportingPeriod
from tests.factories import BoroughFactory, UserFactory

BEFORE = [("returns", "0002_compliance_pack"), ("packs", None)]

# A transactional test ends by emptying every table, which the audit log's triggers refuse.
pytestmark = pytest.mark.usefixtures("audit_log_flushable")


def _migrate(targets=None):
    """Migrate to ``targets`` (the latest of every app if None); returns the apps of the state reached."""
    executor = MigrationExecutor(connection)
    return executor.migrate(targets or executor.loader.graph.leaf_nodes()).apps


@pytest.mark.django_db(transaction=True)
def test_a_pack_made_before_the_move_is_whole_after_it():
    borough = BoroughFactory()
    analyst = UserFactory()
    run = TaskRun.objects.create(kind="returns.compliance_pack", label="Building", created_by=analyst)
    period = ReportingPeriod.objects.create(
        region=borough.region,
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 9, 30),
        opens_on=date(2026, 10, 1),
        deadline=date(2026, 10, 31),
        locks_on=date(2026, 11, 30),
        opened_by=analyst,
    )
    try:
        old = _migrate(BEFORE)
        OldPack = old.get_model("returns", "CompliancePack")
        pack = OldPack.objects.create(
            period_id=period.pk,
            borough_id=borough.pk,
            version=2,
            status="ready",
            data_version="abc123",
            pdf="compliance-packs/pack-1.pdf",
            xlsx="compliance-packs/pack-1.xlsx",
            pdf_sha256="a" * 64,
            xlsx_sha256="b" * 64,
            pdf_size=1234,
            xlsx_size=567,
            pages=9,
            task_run_id=run.pk,
            requested_by_id=analyst.pk,
        )
        old_type = old.get_model("contenttypes", "ContentType").objects.get_or_create(
            app_label="returns", model="compliancepack"
        )[0]
        old.get_model("audit", "AuditEvent").objects.create(
            action="pack.downloaded", target_type_id=old_type.pk, target_id=str(pack.pk), detail={"file": "pdf"}
        )

        _migrate()

        moved = CompliancePack.objects.get(pk=pack.pk)
        assert (moved.period, moved.borough, moved.task_run, moved.requested_by) == (period, borough, run, analyst)
        assert (moved.version, moved.status, moved.data_version, moved.pages) == (2, "ready", "abc123", 9)
        assert (moved.pdf.name, moved.xlsx.name) == ("compliance-packs/pack-1.pdf", "compliance-packs/pack-1.xlsx")
        assert (moved.pdf_sha256, moved.xlsx_sha256, moved.pdf_size, moved.xlsx_size) == ("a" * 64, "b" * 64, 1234, 567)
        assert CompliancePack._meta.db_table == "packs_compliancepack"
        assert ContentType.objects.get_for_model(CompliancePack).pk == old_type.pk
        assert not ContentType.objects.filter(app_label="returns", model="compliancepack").exists()
        event = AuditEvent.objects.get(action="pack.downloaded")
        assert event.target_type.get_object_for_this_type(pk=event.target_id) == moved
    finally:
        _migrate()  # whatever happened, the next test meets the latest schema
