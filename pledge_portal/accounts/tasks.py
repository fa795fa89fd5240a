"""Invitation emails."""

from celery import shared_task
from django.core.mail import send_mail
from django.db import OperationalError
from django.template.loader import render_to_string

from .models import Invitation


@shared_task(autoretry_for=(OSError, OperationalError), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int, token: str) -> bool:
    """Email the invitation link. Safe to repeat: a link for an invitation no longer pending is not sent."""
    from .services import invitation_link

    invitation = Invitation.objects.select_related("organisation", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.status != "pending":
        return False
    context = {"invitation": invitation, "link": invitation_link(token)}
    send_mail(
        subject=f"You are invited to the London Pledge portal for {invitation.organisation}",
        message=render_to_string("accounts/email/invitation.txt", context),
        from_email=None,
        recipient_list=[invitation.email],
    )
    return True
