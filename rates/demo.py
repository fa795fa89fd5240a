"""Illustrative rate cards for the demo: clearly labelled, not the agreed London caps."""

from datetime import date
from decimal import Decimal

from boroughs.models import Region

from . import services
from .models import LocalRole, RateCard, RoleCategory

EVIDENCE = (
    "DEMO FIGURES for trying the portal. These are not the caps agreed by London's boroughs; "
    "the programme team publishes the real card."
)

# (limited company and umbrella cap, PAYE cap) per core role, £ per hour.
EARLIER = {
    "social-worker": ("35.00", "30.60"),
    "senior-social-worker": ("37.50", "32.80"),
    "advanced-practitioner": ("40.00", "35.00"),
    "team-manager": ("44.00", "38.50"),
    "iro-cp-chair": ("41.00", "35.90"),
}
CURRENT = {
    "social-worker": ("36.40", "31.85"),
    "senior-social-worker": ("39.00", "34.10"),
    "advanced-practitioner": ("41.60", "36.40"),
    "team-manager": ("45.75", "40.00"),
    "iro-cp-chair": ("42.65", "37.30"),
    "principal-social-worker": ("43.00", "37.60"),
}


def seed_demo_rate_cards(*, region: Region, by) -> None:
    """An earlier, superseded demo card and the current one, so the history shows. Idempotent."""
    if RateCard.objects.filter(region=region, is_demo=True).exists():
        return
    LocalRole.objects.get_or_create(
        region=region,
        code="principal-social-worker",
        defaults={"name": "Principal social worker", "core": RoleCategory.objects.get(code="advanced-practitioner")},
    )
    for title, start, caps in (
        ("Demo caps 2025–26", date(2025, 4, 1), EARLIER),
        ("Demo caps 2026–27", date(2026, 4, 1), CURRENT),
    ):
        card = services.create_draft(
            region=region, by=by, title=title, effective_from=start, evidence_note=EVIDENCE, is_demo=True
        )
        services.update_draft(card=card, by=by, lines={k: (Decimal(a), Decimal(b)) for k, (a, b) in caps.items()})
        services.publish(card=card, by=by)
