"""Background work for returns: uploaded workbooks (read, loaded and checked), validation (with progress),
and emails about deadlines and submissions."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, send_mail
from django.db import OperationalError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from pledge_portal import access
from pledge_portal.jobs.services import tracked_run

from .models import ReportingPeriod, ReportingUnit, Return, ValidationRun, WorkbookUpload


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


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def load_upload(self, run_id: str) -> None:
    """Read a stored workbook (``services.start_upload``), load its rows into the draft (all or nothing: a
    refused file leaves the draft as it was) and check the return, so the findings are there when the job
    finishes. The stored file is deleted once read. Safe to run again after a crash: what loading changed
    is recorded in the loading transaction, so a second run checks the return without loading twice."""
    from pledge_portal.core import problems as upload_problems

    from . import services
    from .spreadsheets import UploadRejected, loaded_message

    with tracked_run(run_id, task=self) as run:
        if run is None:
            return
        upload = (
            WorkbookUpload.objects.select_related("ret__unit__region", "ret__period__region", "created_by")
            .filter(task_run=run)
            .first()
        )
        if upload is None:  # deleted as past its retention before a worker took the job
            run.result = {"outcome": "refused", "problems": ["The workbook is no longer kept. Upload it again."]}
            run.message = "Not loaded: the workbook is no longer kept."
            return
        ret = upload.ret
        try:
            loaded = upload.loaded if upload.loaded is not None else _load(run, upload)
        except (UploadRejected, services.ReturnError) as exc:
            if isinstance(exc, UploadRejected):
                problems, more = exc.problems, exc.more
            else:
                problems, more = [str(exc)], 0
            listed = upload_problems.keep(
                user=upload.created_by, upload=f"return-{ret.pk}", problems=problems, more=more
            )
            count = len(listed["problems"]) + listed["more"]
            run.result = {"outcome": "refused", **listed}
            run.message = f"Not loaded: {count:,} problem{'s' if count != 1 else ''}. The return has not changed."
            services.discard_upload(upload)
            return
        validation_run = _check(run, ret)
        services.discard_upload(upload)
        summary = loaded_message(loaded)
        run.result = {
            "outcome": "loaded",
            **loaded,
            "summary": summary,
            "errors": validation_run.errors,
            "queries": validation_run.queries,
        }
        run.message = (
            f"{summary} The check found {validation_run.errors:,} error{'s' if validation_run.errors != 1 else ''} "
            f"and {validation_run.queries:,} quer{'ies' if validation_run.queries != 1 else 'y'}."
        )[:300]


def _load(run, upload: WorkbookUpload) -> dict:
    """The workbook's rows and other sheets loaded as one change (``spreadsheets.import_upload``), recorded
    on the upload in the same transaction."""
    from . import services
    from .spreadsheets import read_upload

    run.report_progress(5, "Reading the workbook")
    with upload.file.open("rb") as stored:
        rows, sections = read_upload(upload.ret, stored)
    run.report_progress(30, f"Loading {len(rows):,} row{'s' if len(rows) != 1 else ''}")
    with transaction.atomic():
        loaded = services.load_workbook(
            ret=upload.ret,
            by=upload.created_by,
            expected_revision=upload.expected_revision,
            rows=rows,
            mode=upload.mode,
            workforce=sections.workforce,
            totals=sections.totals,
            explanations=sections.explanations,
        )
        WorkbookUpload.objects.filter(pk=upload.pk).update(loaded=loaded)
    return loaded


def _check(run, ret: Return) -> ValidationRun:
    """Check the return as loaded, as part of the upload's job (its findings page follows this run)."""
    from .validation import run_validation

    ret.refresh_from_db(fields=["revision"])
    validation_run, _ = ValidationRun.objects.get_or_create(
        task_run=run, defaults={"ret": ret, "revision": ret.revision}
    )
    run_validation(
        validation_run, progress=lambda percent, message: run.report_progress(40 + percent * 3 // 5, message)
    )
    return validation_run


@shared_task
def delete_stale_uploads() -> int:
    """Daily: delete stored workbooks whose job never finished, after ``services.UPLOAD_RETENTION``."""
    from .services import delete_stale_uploads as delete

    return delete()


def _emails(action: str, obj) -> list[str]:
    """Everyone who may take ``action`` on ``obj`` through its own organisations: who it waits for."""
    return sorted(set(access.people(action, obj).values_list("email", flat=True)))


# Who each step of the workflow waits for (an access action on the return), and what to tell them.
HANDOFFS = {
    "submitted": (("return.sign_off", "return.review"), "has submitted its return", "The approver signs it off next."),
    "signed_off": (("return.review",), "has signed off its return", "The regional team accepts it or sends it back."),
    "returned": (
        ("return.submit",),
        "return was sent back",
        "Change it as the comment says, check it and submit again.",
    ),
    "accepted": (("return.submit",), "return was accepted", "Nothing more is needed for this quarter."),
    "reopened": (("return.submit",), "return was reopened", "Correct it as the comment says and submit it again."),
}


@shared_task
def tell_of_handoff(transition_id: int, step: str) -> int:
    """Email the people a return now waits for (approvers when it is submitted, the region when signed off,
    the workforce lead and the MSP when it is sent back, accepted or reopened), in plain text and HTML.
    Returns how many were told."""
    from .models import Transition

    if step not in HANDOFFS:
        return 0
    transition = Transition.objects.select_related("ret__unit", "ret__period__region", "by").get(pk=transition_id)
    ret = transition.ret
    actions, what, next_step = HANDOFFS[step]
    recipients = sorted({e for action in actions for e in _emails(action, ret)} - {transition.by.email})
    if not recipients:
        return 0
    context = {
        "ret": ret,
        "what": what,
        "next_step": next_step,
        "comment": transition.comment,
        "by": transition.by,
        "link": settings.SITE_URL + reverse("returns:detail", args=[ret.pk]),
    }
    message = EmailMultiAlternatives(
        subject=f"{ret.unit}: {what} for {ret.period.label}"
        if step in ("submitted", "signed_off")
        else f"Your {ret.period.label} {what}",
        body=render_to_string("returns/email/handoff.txt", context),
        to=recipients,
    )
    message.attach_alternative(render_to_string("returns/email/handoff.html", context), "text/html")
    message.send()
    return len(recipients)


@shared_task
def tell_analysts_of_overdue_returns() -> int:
    """Daily: the day after a deadline, tell each region's analysts which expected units have not submitted
    (a unit with no Pledge signatory is optional and never overdue). Returns how many regions were told."""
    from .selectors import completeness_for

    today = timezone.localdate()
    told = 0
    for period in ReportingPeriod.objects.filter(deadline=today - timedelta(days=1)).select_related("region"):
        late = [s.unit.name for s in completeness_for(period, today=today) if s.late]
        recipients = _emails("period.lock", period)  # the region's analysts
        if not late or not recipients:
            continue
        send_mail(
            subject=f"{len(late)} return{'s are' if len(late) != 1 else ' is'} overdue for {period.label}",
            message=render_to_string(
                "returns/email/overdue.txt",
                {
                    "period": period,
                    "late": late[:100],
                    "more": max(len(late) - 100, 0),
                    "link": settings.SITE_URL + reverse("returns:completeness", args=[period.pk]),
                },
            ),
            from_email=None,
            recipient_list=recipients,
        )
        told += 1
    return told


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


@shared_task
def purge_expired_leavers() -> int:
    """Daily: delete the leavers no cool-off check can need any more, those who left before
    ``leavers.kept_since(today)`` (the longest cool-off configured, plus the margin ``settings`` explains).
    Safe to run twice. Returns how many were deleted."""
    from .leavers import kept_since
    from .models import Leaver

    deleted, _ = Leaver.objects.filter(leaving_date__lt=kept_since(timezone.localdate())).delete()
    return deleted
