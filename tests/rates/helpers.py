"""Building rate cards in tests."""

from datetime import date
from decimal import Decimal

from rates import services

CAPS = {
    "social-worker": ("36.40", "31.85"),
    "senior-social-worker": ("39.00", "34.10"),
    "advanced-practitioner": ("41.60", "36.40"),
    "team-manager": ("45.75", "40.00"),
    "iro-cp-chair": ("42.65", "37.30"),
}


def ensure_core_roles() -> None:
    """The core roles come from a data migration; a transactional test's flush empties the table, so tests
    that run after one put them back the way the migration does."""
    import importlib

    from django.apps import apps

    importlib.import_module("rates.migrations.0002_core_roles").seed(apps, None)


def publish_card(region, by, *, effective_from=date(2026, 4, 1), effective_to=None, caps=None, title="Caps"):
    """A published card with caps for every core role (``caps`` overrides some)."""
    ensure_core_roles()
    lines = {code: (Decimal(a), Decimal(b)) for code, (a, b) in {**CAPS, **(caps or {})}.items()}
    card = services.create_draft(
        region=region,
        by=by,
        title=title,
        effective_from=effective_from,
        effective_to=effective_to,
        evidence_note="Agreed by the steering group",
    )
    services.update_draft(card=card, by=by, lines=lines)
    return services.publish(card=card, by=by)
