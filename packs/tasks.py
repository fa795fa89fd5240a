"""Background work for compliance packs: building one (with progress), telling the steering group that it is
ready, and the daily request for the packs of periods that have just locked.

The tasks keep the names they had in ``returns.tasks``: the beat schedule names one of them, and messages
queued before the move name the others."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from django.template.loader import render_to_string
from django.urls import reverse

from pledge_portal.jobs.models import TaskRun
from pledge_portal.jobs.services import tracked_run
from returns.tasks import _emails

from . import services
from .models import CompliancePack


@shared_task(
    bind=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
    name="returns.tasks.build_compliance_pack",
)
def build_compliance_pack(self, run_id: str) -> None:
    """Build one compliance pack (its id is in the run's parameters). Retried after a temporary database
    error; a build that fails for good marks the pack failed, and either way no half-written file stays."""
    try:
        with tracked_run(run_id, task=self) as run:
            if run is None:
                return
            pack = CompliancePack.objects.get(task_run=run)
            pack = services.build_pack(pack=pack, progress=run.report_progress)
            run.result = {"pack": pack.pk, "pages": pack.pages}
            run.message = f"Version {pack.version} is ready: {pack.pages} pages"
    except Exception as exc:
        # tracked_run has decided: queued again for a retry, or failed for good.
        if TaskRun.objects.filter(pk=run_id, status=TaskRun.Status.FAILED).exists():
            pack = CompliancePack.objects.filter(task_run_id=run_id).first()
            if pack is not None:
                services.fail_pack(pack_id=pack.pk, error=f"{type(exc).__name__}: {exc}")
        raise


@shared_task(name="returns.tasks.tell_of_ready_pack")
def tell_of_ready_pack(pack_id: int) -> None:
    """Email the region's steering group members (and whoever asked for it) that a pack is ready."""
    pack = CompliancePack.objects.select_related("period__region", "borough", "requested_by").get(pk=pack_id)
    recipients = set(_emails("pack.download", pack))  # the region's team (and a borough's own users, for its pack)
    if pack.requested_by and pack.requested_by.is_active:
        recipients.add(pack.requested_by.email)
    if not recipients:
        return
    link = settings.SITE_URL + reverse("packs:period", args=[pack.period_id])
    send_mail(
        subject=f"The {pack} is ready",
        message=render_to_string("packs/email/pack_ready.txt", {"pack": pack, "link": link}),
        from_email=None,
        recipient_list=sorted(recipients),
    )


@shared_task(name="returns.tasks.request_packs_after_lock")
def request_packs_after_lock() -> int:
    """Daily: the regional pack of every period that has just locked."""
    return services.packs_after_lock()
