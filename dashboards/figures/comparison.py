"""One borough against the others (medians only, small counts suppressed), and one agency across boroughs. See the
package's docstring for the counting conventions.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Count,
)
from django.db.models.functions import TruncDate

from boroughs.models import Borough
from pledge_portal.core.working_days import working_days_between

from .compliance import breaches_by_borough, flags_by_borough, reference_requests
from .scope import FLAG_LABELS, FLAGS, OVER, SIGNED, SMALL_COUNT, Scope, rows_with_caps, suppressed
from .workforce import agency_share_by_unit

# --- One borough against the others ---------------------------------------------------------------------


@dataclass
class Comparison:
    measure: str
    own: str
    sub_region: str
    region: str


def _median_text(values: list, *, count: bool) -> str:
    if len(values) < SMALL_COUNT:
        return f"fewer than {SMALL_COUNT} boroughs"
    middle = statistics.median(values)
    if count:
        return suppressed(int(Decimal(str(middle)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    return str(Decimal(str(middle)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def borough_comparison(scope: Scope, borough: Borough, *, source=None) -> list[Comparison]:
    """The borough's own figures beside the median of its sub-region's boroughs and of its region's. Other
    boroughs appear only as medians, and only when at least 5 boroughs have the figure; median counts
    under 5 are shown as "fewer than 5". ``scope`` is the region-wide scope (no borough). Five queries.
    ``source``: where breaches and flags are counted (as for ``coverage.headlines``)."""
    region_scope = Scope(scope.start, scope.end, region=borough.region, role=scope.role)
    shares = agency_share_by_unit(region_scope)
    breaches = {b.borough_id: b for b in (source.breaches_by_borough if source else breaches_by_borough)(region_scope)}
    flags = {f.borough_id: f for f in (source.flags_by_borough if source else flags_by_borough)(region_scope)}
    subs = dict(Borough.objects.filter(region=borough.region).values_list("pk", "sub_region_id"))
    reporting = set(breaches) | {b for s in shares for b in (s.borough_ids or [])}
    share_of = {b: s.share for s in shares for b in (s.borough_ids or []) if s.share is not None}

    def peers(same_sub: bool) -> list[int]:
        return [b for b in reporting if not same_sub or subs.get(b) == borough.sub_region_id]

    measures = [
        ("Agency share of the workforce (%)", lambda b: share_of.get(b), False),
        ("Assignments (rows)", lambda b: breaches[b].rows if b in breaches else 0, True),
        ("Rows over the cap", lambda b: breaches[b].breaches if b in breaches else 0, True),
        ("Rows over the cap without sign-off", lambda b: breaches[b].without_sign_off if b in breaches else 0, True),
    ] + [(FLAG_LABELS[name], lambda b, name=name: getattr(flags[b], name) if b in flags else 0, True) for name in FLAGS]
    result = []
    for label, value, count in measures:
        own = value(borough.pk)
        in_sub = [v for b in peers(True) if (v := value(b)) is not None] if borough.sub_region_id else []
        in_region = [v for b in peers(False) if (v := value(b)) is not None]
        result.append(
            Comparison(
                label,
                "no figure" if own is None else str(own),
                _median_text(in_sub, count=count) if borough.sub_region_id else "no sub-region",
                _median_text(in_region, count=count),
            )
        )
    return result


# --- An agency across boroughs --------------------------------------------------------------------------


@dataclass
class AgencyBoroughLine:
    borough: str
    region: str
    rows: int
    breaches: int
    signed_off: int


def agency_by_borough(scope: Scope) -> list[AgencyBoroughLine]:
    """One agency's rows per borough (``scope.agency`` set), with its breaches. Two queries."""
    grouped = (
        rows_with_caps(scope)
        .values("borough__name", "borough__region__name")
        .annotate(rows=Count("pk"), breaches=Count("pk", filter=OVER), signed=Count("pk", filter=SIGNED))
        .order_by("borough__region__name", "borough__name")
    )
    return [
        AgencyBoroughLine(g["borough__name"], g["borough__region__name"], g["rows"], g["breaches"], g["signed"])
        for g in grouped
    ]


@dataclass
class RequestLine:
    borough: str
    status: str
    requested: int
    median_turnaround: Decimal | None


def agency_reference_requests(scope: Scope) -> list[RequestLine]:
    """One agency's reference requests per borough and status, and the median working days to complete.
    One query."""
    from references.models import ReferenceRequest

    grouped = (
        reference_requests(scope)
        .annotate(asked=TruncDate("requested_at"), answered=TruncDate("closed_at"))
        .values("borough__name", "status", "asked", "answered")
        .annotate(n=Count("pk"))
        .order_by("borough__name", "status")
    )
    labels = dict(ReferenceRequest.Status.choices)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    days: dict[tuple[str, str], list[int]] = defaultdict(list)
    for g in grouped:
        key = (g["borough__name"], g["status"])
        counts[key] += g["n"]
        if g["status"] == ReferenceRequest.Status.COMPLETED and g["answered"] is not None:
            days[key].extend([working_days_between(g["asked"], g["answered"])] * g["n"])
    return [
        RequestLine(
            borough,
            labels.get(status, status),
            n,
            Decimal(str(statistics.median(days[(borough, status)]))).quantize(Decimal("0.1"))
            if days[(borough, status)]
            else None,
        )
        for (borough, status), n in sorted(counts.items())
    ]
