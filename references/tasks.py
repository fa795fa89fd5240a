"""Scheduled work for references: reminders about due requests, and deletion after retention."""

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from pledge_portal import access
from pledge_portal.core.working_days import add_working_days

from .models import ReferenceRequest
from .services import delete_expired_references


@shared_task
def delete_references_past_retention() -> int:
    """Daily: delete references (and their files) past their retention date."""
    return delete_expired_references()


@shared_task
def tell_agency_the_request_is_answered(request_id: int) -> None:
    """Email the agency user who asked that the borough has written the reference or declined. The email
    names no candidate: it links to the request, which only the two parties can open."""
    request = ReferenceRequest.objects.select_related("borough", "requested_by").get(pk=request_id)
    if not request.requested_by.is_active:
        return
    link = settings.SITE_URL + reverse("references:request-detail", args=[request.pk])
    done = "written" if request.status == ReferenceRequest.Status.COMPLETED else "declined"
    send_mail(
        subject=f"{request.borough} has {done} your reference request {request.pk}",
        message=render_to_string("references/email/answered.txt", {"req": request, "link": link}),
        from_email=None,
        recipient_list=[request.requested_by.email],
    )


@shared_task
def tell_borough_of_the_request(request_id: int) -> int:
    """Email the borough's users who answer reference requests that one has arrived, with its due date. The
    email names no candidate: it links to the request, which only the two parties can open."""
    request = ReferenceRequest.objects.select_related("borough", "agency").get(pk=request_id)
    recipients = sorted(set(access.people("reference_request.answer", request).values_list("email", flat=True)))
    if recipients:
        send_mail(
            subject=f"A reference request from {request.agency}, due by {request.due_on:%-d %B %Y}",
            message=render_to_string(
                "references/email/arrived.txt",
                {"req": request, "link": settings.SITE_URL + reverse("references:request-detail", args=[request.pk])},
            ),
            from_email=None,
            recipient_list=recipients,
        )
    return len(recipients)


@shared_task
def send_reference_reminders() -> int:
    """Each working morning: remind a borough's users of open requests due by the next working day, and of
    overdue ones. Safe to run twice in a day: a request is reminded at most once a day."""
    today = timezone.localdate()
    soon = add_working_days(today, 1)
    due = (
        ReferenceRequest.objects.filter(status=ReferenceRequest.Status.REQUESTED, due_on__lte=soon)
        .exclude(reminded_on=today)
        .select_related("borough", "agency")
    )
    sent = 0
    for request in due:
        recipients = sorted(set(access.people("reference_request.answer", request).values_list("email", flat=True)))
        if recipients:
            overdue = request.due_on < today
            send_mail(
                subject=("Overdue: " if overdue else "Due soon: ") + f"a reference request from {request.agency}",
                message=render_to_string("references/email/reminder.txt", {"req": request, "overdue": overdue}),
                from_email=None,
                recipient_list=recipients,
            )
            sent += 1
        ReferenceRequest.objects.filter(pk=request.pk).update(reminded_on=today)
    return sent
