"""Background work for rate cards: a draft card's impact on live assignments before it is published."""

from celery import shared_task
from django.db import OperationalError

from pledge_portal.jobs.services import tracked_run

from . import impact
from .models import RateCard


@shared_task(bind=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3, acks_late=True)
def compute_card_impact(self, run_id: str) -> None:
    """Compute a draft's impact (its card is in the run's parameters) and keep it as the run's result. Safe to
    run twice: the result is replaced, never added to. A draft deleted meanwhile leaves nothing to compute."""
    with tracked_run(run_id, task=self) as run:
        if run is None:
            return
        card = RateCard.objects.filter(pk=run.parameters.get("card"), status=RateCard.Status.DRAFT).first()
        if card is None:
            run.message = "The draft was published or deleted before its impact was computed."
            return
        run.result = impact.compute_impact(card=card, progress=run.report_progress)
        run.message = f"{run.result['new']:,} would become breaches; {run.result['ended']:,} breaches would end"
