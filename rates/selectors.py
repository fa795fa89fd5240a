"""Reading rate cards, and the rate check that everything uses.

``check_rate`` is the one rate check: the page, the API, returns validation and breach sign-off all call
it, so a rate is judged the same way everywhere.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from boroughs.models import Region
from pledge_portal import access
from pledge_portal.core.text import quote

from .models import (
    INCLUSIVE_ENGAGEMENTS,
    BreachSignOff,
    EngagementType,
    LocalRole,
    RateCard,
    RateCardLine,
    RoleCategory,
)
from .money import percent_of
from .table import rate_table


class RateCheckError(ValueError):
    """The question cannot be answered; ``field`` names the input at fault and the message says why."""

    def __init__(self, message: str, *, field: str = "non_field_errors"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RateCheck:
    role: str  # the code asked about (core or local)
    role_name: str
    core_role: str
    engagement_type: str
    on: date
    hourly_rate: Decimal
    cap: Decimal
    rate_card: RateCard
    cap_basis: str  # which of the card's two figures applied

    @property
    def within_cap(self) -> bool:
        return self.hourly_rate <= self.cap

    @property
    def excess(self) -> Decimal:
        return max(self.hourly_rate - self.cap, Decimal("0.00"))

    @property
    def excess_percent(self) -> Decimal:
        return percent_of(self.excess, self.cap)


def default_region() -> Region | None:
    """The region whose caps the public pages show (London, unless DEFAULT_REGION_CODE says otherwise)."""
    return Region.objects.filter(code=settings.DEFAULT_REGION_CODE).select_related("organisation").first()


def _cards_with_lines(qs: QuerySet[RateCard]) -> QuerySet[RateCard]:
    lines = RateCardLine.objects.select_related("role", "local_role__core")
    return qs.select_related("region", "approved_by").prefetch_related(Prefetch("lines", queryset=lines))


def rate_cards_visible_to(user, *, region: Region | None = None) -> QuerySet[RateCard]:
    """Published and superseded cards are public. Drafts are seen only by the regional analysts of the
    card's region (and platform admins)."""
    qs = RateCard.objects.select_related("region", "approved_by", "created_by")
    if region is not None:
        qs = qs.filter(region=region)
    return qs.in_force() | drafts_editable_by(user, qs)


def drafts_editable_by(user, qs: QuerySet[RateCard] | None = None) -> QuerySet[RateCard]:
    """Draft cards the user may edit, publish or delete: their region's, if they are a regional analyst."""
    qs = RateCard.objects.select_related("region") if qs is None else qs
    return access.visible(user, "rate_card.draft", qs.filter(status=RateCard.Status.DRAFT))


def regions_drafted_by(user) -> QuerySet[Region]:
    """Regions whose rate cards the user may draft: their own region's, as its analyst (all, for admins)."""
    return access.visible(user, "region.draft_rate_card", Region.objects.order_by("name"))


def card_in_force(region: Region, on: date) -> RateCard | None:
    return _cards_with_lines(RateCard.objects.covering(on).filter(region=region)).first()


def current_card(region: Region | None) -> RateCard | None:
    return card_in_force(region, timezone.localdate()) if region is not None else None


def card_history(region: Region | None) -> QuerySet[RateCard]:
    return RateCard.objects.in_force().filter(region=region).select_related("approved_by").order_by("-effective_from")


def card_with_lines(pk: int, scope: QuerySet[RateCard]) -> RateCard:
    return _cards_with_lines(scope).get(pk=pk)


def role_choices(region: Region | None) -> list[tuple[str, str]]:
    """Codes a rate check accepts for a region: the core types, then its local roles."""
    core = [(r.code, r.name) for r in RoleCategory.objects.all()]
    local_roles = LocalRole.objects.filter(region=region).select_related("core")
    local = [(r.code, f"{r.name} ({r.core.name})") for r in local_roles]
    return core + local


def check_rate(
    *, role: str, engagement_type: str, on: date, hourly_rate: Decimal, region: Region | None = None
) -> RateCheck:
    """Judge ``hourly_rate`` for ``role`` and ``engagement_type`` on ``on`` against the card in force in
    ``region`` (by default DEFAULT_REGION_CODE's).

    Raises ``RateCheckError`` naming the field at fault when the role or engagement type is unknown or no
    card covers the date. Reads the in-process rate table (``rates.table``), so it costs one small query."""
    table = rate_table()
    region = region or table.regions_by_code.get(settings.DEFAULT_REGION_CODE)
    if region is None:
        raise RateCheckError(
            "No region's rate cards are set up yet, so there is no cap to check against.", field="date"
        )
    if engagement_type not in EngagementType.values:
        raise RateCheckError(f"Choose an engagement type: {', '.join(EngagementType.values)}.", field="engagement_type")
    core = table.core_by_code.get(role)
    local = None
    if core is None:
        local = table.local_by_key.get((region.pk, role))
        if local is None:
            raise RateCheckError(f"“{quote(role)}” is not a role on {region.name}'s rate cards.", field="role")
        core = local.core
    entry = table.card_on(region.pk, on)
    if entry is None:
        raise RateCheckError(
            f"No {region.name} rate card covers {on:%d %B %Y}, so there is no cap to check against for that date.",
            field="date",
        )
    caps = (entry.lines.get((None, local.pk)) if local else None) or entry.lines.get((core.pk, None))
    if caps is None:
        raise RateCheckError(f"{entry.card} sets no cap for {core.name}.", field="role")
    inclusive = engagement_type in INCLUSIVE_ENGAGEMENTS
    return RateCheck(
        role=role,
        role_name=local.name if local else core.name,
        core_role=core.code,
        engagement_type=engagement_type,
        on=on,
        hourly_rate=hourly_rate,
        cap=caps[0] if inclusive else caps[1],
        rate_card=entry.card,
        cap_basis="limited company and umbrella (pay plus on-costs)" if inclusive else "PAYE (pay only)",
    )


def sign_offs_visible_to(user) -> QuerySet[BreachSignOff]:
    """Breach sign-offs of the user's own borough, or of their region's boroughs for regional roles."""
    qs = BreachSignOff.objects.select_related("borough", "signed_by", "rate_card")
    return access.visible(user, "sign_off.read", qs)
