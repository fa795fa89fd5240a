"""Invitation emails, and telling people of repeated failed sign-ins to their account."""

from celery import shared_task
from django.conf import settings
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


@shared_task(autoretry_for=(OSError, OperationalError), retry_backoff=True, max_retries=5)
def tell_owner_of_failed_sign_ins(email: str, failures: int) -> bool:
    """Email the owner of ``email`` (if it is an active account) that its password was tried and refused
    ``failures`` times within the hour, and record it in the audit log. Their account stays open."""
    from django.contrib.auth import get_user_model

    from pledge_portal.audit import services as audit

    user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return False
    audit.record(None, "account.failed_sign_ins", user, detail={"failures": failures})
    send_mail(
        subject="Failed sign-ins to your London Pledge portal account",
        message=render_to_string(
            "accounts/email/failed_sign_ins.txt",
            {"user": user, "failures": failures, "site_url": settings.SITE_URL},
        ),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
