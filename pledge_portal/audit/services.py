"""Writing to the audit log. Every service that changes state calls ``record`` once per change."""

from django.contrib.contenttypes.models import ContentType
from django.db import models

from pledge_portal.core.client import client_address

from .models import AuditEvent


def record(
    actor,
    action: str,
    target: models.Model | None = None,
    *,
    organisation=None,
    detail: dict | None = None,
    request=None,
) -> AuditEvent:
    """Append one event. ``organisation`` is the one the actor acted from; when omitted it is their only
    organisation, if they have exactly one. ``detail`` must hold no more personal data than the action
    needs: the log outlives the records it describes."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    if organisation is None and actor is not None and len(actor.organisations) == 1:
        organisation = actor.organisations[0]
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.email if actor else "",
        organisation=organisation,
        action=action,
        target_type=ContentType.objects.get_for_model(target) if target is not None else None,
        target_id=str(target.pk) if target is not None else "",
        target_label=str(target)[:200] if target is not None else "",
        detail=detail or {},
        ip_address=_client_ip(request),
    )


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return client_address(request) or None


def record_each(actor, action: str, targets, *, organisation=None, detail: dict | None = None, request=None) -> int:
    """One event per target, as ``record`` would write them, in one insert: for a page that shows many records
    of personal data at once (each record's history then lists the view). Returns how many were written."""
    targets = list(targets)
    if not targets:
        return 0
    if actor is not None and not actor.is_authenticated:
        actor = None
    if organisation is None and actor is not None and len(actor.organisations) == 1:
        organisation = actor.organisations[0]
    ip_address = _client_ip(request)
    events = [
        AuditEvent(
            actor=actor,
            actor_label=actor.email if actor else "",
            organisation=organisation,
            action=action,
            target_type=ContentType.objects.get_for_model(target),
            target_id=str(target.pk),
            target_label=str(target)[:200],
            detail=detail or {},
            ip_address=ip_address,
        )
        for target in targets
    ]
    AuditEvent.objects.bulk_create(events)
    return len(events)
