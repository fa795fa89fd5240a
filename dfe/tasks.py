"""Background work for the DfE return: building a region's extract, with progress."""

from celery import shared_task
from django.db import OperationalError

from pledge_portal.jobs.models import TaskRun
from pledge_portal.jobs.services import tracked_run

from . import services
from .models import DfeExtract


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def build_dfe_extract(self, run_id: str) -> None:
    """Build one regional extract (its id is in the run's parameters). Retried after a temporary database error;
    a build that fails for good marks the extract failed, and either way no half-written file stays."""
    try:
        with tracked_run(run_id, task=self) as run:
            if run is None:
                return
            extract = DfeExtract.objects.get(task_run=run)
            extract = services.build_extract(extract=extract, progress=run.report_progress)
            run.result = {"extract": extract.pk}
            run.message = f"Version {extract.version} is ready"
    except Exception as exc:
        if TaskRun.objects.filter(pk=run_id, status=TaskRun.Status.FAILED).exists():
            extract = DfeExtract.objects.filter(task_run_id=run_id).first()
            if extract is not None:
                services.fail_extract(extract_id=extract.pk, error=f"{type(exc).__name__}: {exc}")
        raise
