"""Background work for returns: validation (with progress), and emails about deadlines and submissions."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import OperationalError
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from pledge_portal import access
from pledge_portal.jobs.services import tracked_run

from .models import ReportingPeriod, ReportingUnit, Return, ValidationRun


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def validate_return(self, run_id: str) -> None:
    """Check one revision of a return against every rule. Safe to run again after a crash: the findings
    of the run are replaced, never added to."""
    from .validation import run_validation

    with tracked_run(run_id, task=self) as run:
        if run is None:
            return
        validation_run = ValidationRun.objects.select_related("ret__period__region", "ret__unit").get(task_run=run)
        run_validation(validation_run, progress=run.report_progress)
        validation_run.refresh_from_db()
        run.result = {"errors": validation_run.errors, "queries": validation_run.queries}
        run.message = (
            f"{validation_run.errors} error{'s' if validation_run.errors != 1 else ''}, "
            f"{validation_run.queries} quer{'ies' if validation_run.queries != 1 else 'y'}"
        )


def _emails(action: str, obj) -> list[str]:
    """Everyone who may take ``action`` on ``obj`` through its own organisations: who it waits for."""
    return sorted(set(access.people(action, obj).values_list("email", flat=True)))


@shared_task
def tell_analysts_of_submission(return_id: int) -> None:
    ret = Return.objects.select_related("unit", "period__region").get(pk=return_id)
    recipients = _emails("return.review", ret)
    if not recipients:
        return
    link = settings.SITE_URL + reverse("returns:detail", args=[ret.pk])
    send_mail(
        subject=f"{ret.unit} has submitted its return for {ret.period.label}",
        message=render_to_string("returns/email/submitted.txt", {"ret": ret, "link": link}),
        from_email=None,
        recipient_list=recipients,
    )


@shared_task
def remind_submitters_of_deadlines(days_before: int = 5) -> int:
    """Daily: in the ``days_before`` days up to a deadline (and on it), remind each unit whose return is
    not yet submitted. Returns how many units were reminded."""
    today = timezone.localdate()
    sent = 0
    periods = ReportingPeriod.objects.filter(
        locked=False,
        opens_on__lte=today,
        deadline__gte=today,
        deadline__lte=today + timedelta(days=days_before),
    ).select_related("region")
    for period in periods:
        done = set(
            Return.objects.filter(period=period).exclude(status__in=Return.EDITABLE).values_list("unit_id", flat=True)
        )
        for unit in (
            # Units with no Pledge signatory (City of London) may report but are not chased.
            ReportingUnit.objects.filter(region=period.region, boroughs__pledge_signatory=True)
            .exclude(pk__in=done)
            .distinct()
            .prefetch_related("boroughs")
        ):
            recipients = _emails("unit.start_return", unit)  # its boroughs' users and the MSP serving them
            if not recipients:
                continue
            send_mail(
                subject=f"Your London Pledge return for {period.label} is due by {period.deadline:%-d %B}",
                message=render_to_string(
                    "returns/email/deadline.txt",
                    {"unit": unit, "period": period, "link": settings.SITE_URL + reverse("returns:list")},
                ),
                from_email=None,
                recipient_list=recipients,
            )
            sent += 1
    return sent
