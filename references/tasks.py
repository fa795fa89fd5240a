"""Scheduled work for references."""

from celery import shared_task

from .services import delete_expired_references


@shared_task
def delete_references_past_retention() -> int:
    """Daily: delete references (and their files) past their retention date."""
    return delete_expired_references()
