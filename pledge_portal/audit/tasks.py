"""Audit log exports, built in the background with progress."""

import json
from datetime import UTC

from celery import shared_task
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import OperationalError

from pledge_portal.core.exports import write_csv
from pledge_portal.jobs.services import tracked_run

from .selectors import audit_events_visible_to, filter_audit_events

HEADER = ["When (UTC)", "Who", "Organisation", "Action", "Object type", "Object id", "Object", "Detail", "IP address"]


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def export_audit_log(self, run_id: str) -> None:
    """Write the filtered audit log as CSV, scoped to what the requesting user may read when it runs."""
    with tracked_run(run_id, task=self) as run:
        if run is None:
            return
        user = get_user_model().objects.get(pk=run.created_by_id)
        qs = filter_audit_events(audit_events_visible_to(user), **run.parameters).order_by("at", "id")
        total = qs.count()

        def rows():
            for i, event in enumerate(qs.iterator(chunk_size=2000), start=1):
                if i % 2000 == 0:
                    run.report_progress(int(90 * i / total), f"{i:,} of {total:,} events written")
                yield [
                    event.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    event.actor_label,
                    event.organisation.name if event.organisation else "",
                    event.action,
                    event.target_type.model if event.target_type else "",
                    event.target_id,
                    event.target_label,
                    json.dumps(event.detail, ensure_ascii=False) if event.detail else "",
                    event.ip_address or "",
                ]

        # Replacing the file (not appending) keeps a re-run after a crash from duplicating rows.
        if run.output:
            run.output.delete(save=False)
        run.output.save(f"audit-log-{run.pk}.csv", ContentFile(write_csv(rows(), header=HEADER)), save=False)
        run.result = {"rows": total}
        run.message = f"{total:,} event{'s' if total != 1 else ''} exported"
