"""Background work for the dashboards: bringing the per-return aggregates up to date."""

from celery import shared_task


@shared_task(acks_late=True)
def rebuild_dashboard_figures() -> dict[str, int]:
    """Build the figures of every accepted return whose aggregates are missing or older than the rate cards,
    and drop those of returns no longer accepted (``dashboards.aggregates.rebuild``). Idempotent: safe to
    run twice or at the same time as a return is accepted (each return's figures are replaced in one
    transaction)."""
    from django.core.cache import cache

    from .aggregates import rebuild
    from .figures.aggregated import REBUILD_LOCK

    try:
        return rebuild()
    finally:
        cache.delete(REBUILD_LOCK)  # the next page to find them stale may queue another
