"""An in-process snapshot of the rate cards in force, so a rate check costs one tiny query, not four.

The snapshot is rebuilt whenever a fingerprint of the rates tables changes. The fingerprint is a raw
query; outside a transaction a fingerprint read less than ``RECHECK_SECONDS`` ago is trusted, so a busy
process reads it about once a second and another process's newly published card is seen within a second.
Inside a transaction (a service, a test) it is read on every check, so a snapshot made in a transaction
that was later rolled back is never reused. Only published and superseded cards are held: drafts never
decide a cap.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection

from boroughs.models import Region

from .models import LocalRole, RateCard, RateCardLine, RoleCategory

_FINGERPRINT_SQL = """
SELECT (SELECT COUNT(*) FROM rates_ratecard WHERE status <> 'draft'),
       (SELECT MAX(id) FROM rates_ratecard WHERE status <> 'draft'),
       (SELECT MAX(published_at) FROM rates_ratecard),
       (SELECT COUNT(*) FROM rates_ratecard WHERE status = 'superseded'),
       (SELECT COUNT(*) FROM rates_localrole), (SELECT MAX(id) FROM rates_localrole),
       (SELECT COUNT(*) FROM rates_rolecategory), (SELECT MAX(id) FROM rates_rolecategory),
       (SELECT COUNT(*) FROM boroughs_region), (SELECT MAX(id) FROM boroughs_region)
"""


@dataclass
class CardEntry:
    card: RateCard
    lines: dict[tuple[int | None, int | None], tuple[Decimal, Decimal]]  # (role id, local role id) -> caps

    def covers(self, on: date) -> bool:
        return self.card.effective_from <= on and (self.card.effective_to is None or on <= self.card.effective_to)


@dataclass
class RateTable:
    regions_by_code: dict[str, Region] = field(default_factory=dict)
    core_by_code: dict[str, RoleCategory] = field(default_factory=dict)
    local_by_key: dict[tuple[int, str], LocalRole] = field(default_factory=dict)
    cards_by_region: dict[int, list[CardEntry]] = field(default_factory=dict)

    def card_on(self, region_id: int, on: date) -> CardEntry | None:
        return next((c for c in self.cards_by_region.get(region_id, ()) if c.covers(on)), None)


RECHECK_SECONDS = 1.0

_lock = threading.Lock()
_cached: tuple[tuple, RateTable] | None = None
_checked_at = 0.0  # when the cached snapshot's fingerprint was last confirmed, outside any transaction


def _fingerprint() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT_SQL)
        return tuple(str(v) for v in cursor.fetchone()) + (connection.settings_dict["NAME"],)


def _build() -> RateTable:
    table = RateTable()
    table.regions_by_code = {r.code: r for r in Region.objects.all()}
    table.core_by_code = {r.code: r for r in RoleCategory.objects.all()}
    for local in LocalRole.objects.select_related("core"):
        table.local_by_key[(local.region_id, local.code)] = local
    cards = RateCard.objects.in_force().order_by("-effective_from")
    lines: dict[int, dict] = {}
    for line in RateCardLine.objects.filter(card__in=cards):
        lines.setdefault(line.card_id, {})[(line.role_id, line.local_role_id)] = (line.inclusive_cap, line.paye_cap)
    for card in cards:
        table.cards_by_region.setdefault(card.region_id, []).append(CardEntry(card, lines.get(card.pk, {})))
    return table


def rate_table() -> RateTable:
    """The current snapshot, rebuilt if the rates tables have changed since it was made."""
    global _cached, _checked_at
    cached = _cached
    in_transaction = connection.in_atomic_block
    if cached is not None and not in_transaction and time.monotonic() - _checked_at < RECHECK_SECONDS:
        return cached[1]
    fingerprint = _fingerprint()
    if cached is None or cached[0] != fingerprint:
        with _lock:
            cached = _cached = (fingerprint, _build())
    if not in_transaction:
        _checked_at = time.monotonic()
    return cached[1]


def fingerprint() -> tuple:
    """The fingerprint of the snapshot ``rate_table()`` returns: it changes whenever a card or line does."""
    rate_table()
    return _cached[0]
