"""Drafting, publishing and importing rate cards, and signing off breaches: the only writers in rates."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from boroughs.models import Borough, Region
from pledge_portal import access
from pledge_portal.audit import services as audit
from pledge_portal.core.identity import RegistrationNumberError, parse_registration_number
from pledge_portal.core.text import quote

from .models import BreachSignOff, LocalRole, RateCard, RateCardLine, RoleCategory
from .selectors import RateCheck, check_rate


class RateCardError(Exception):
    """A refused change, with a message to show the user."""


def _next_version(region: Region) -> int:
    # Lock the region row so two analysts starting drafts at once get different version numbers.
    Region.objects.select_for_update().filter(pk=region.pk).first()
    return (RateCard.objects.filter(region=region).aggregate(v=Max("version"))["v"] or 0) + 1


@transaction.atomic
def create_local_role(*, region: Region, by, code: str, name: str, core_code: str) -> LocalRole:
    """Add a finer role to a region's rate cards, mapped to one of the 5 core roles."""
    acting = access.require(by, "region.draft_rate_card", region, error=RateCardError)
    core = RoleCategory.objects.filter(code=core_code).first()
    if core is None:
        raise RateCardError(f"“{quote(core_code)}” is not one of the core roles.")
    if RoleCategory.objects.filter(code=code).exists() or LocalRole.objects.filter(region=region, code=code).exists():
        raise RateCardError(f"There is already a role with the code “{quote(code)}”.")
    role = LocalRole.objects.create(region=region, code=code, name=name, core=core)
    audit.record(by, "local_role.created", role, organisation=acting, detail={"code": code, "core": core_code})
    return role


@transaction.atomic
def create_draft(
    *,
    region: Region,
    by,
    title: str,
    effective_from: date,
    evidence_note: str,
    effective_to: date | None = None,
    copy_from: RateCard | None = None,
    is_demo: bool = False,
) -> RateCard:
    """Start a new draft card, with the lines of ``copy_from`` (usually the current card) to edit."""
    acting = access.require(by, "region.draft_rate_card", region, error=RateCardError)
    if effective_to is not None and effective_to < effective_from:
        raise RateCardError("The end date must be the same as or after the start date.")
    card = RateCard.objects.create(
        region=region,
        version=_next_version(region),
        title=title,
        effective_from=effective_from,
        effective_to=effective_to,
        evidence_note=evidence_note,
        created_by=by,
        is_demo=is_demo,
    )
    if copy_from is not None:
        RateCardLine.objects.bulk_create(
            RateCardLine(
                card=card,
                role_id=ln.role_id,
                local_role_id=ln.local_role_id,
                inclusive_cap=ln.inclusive_cap,
                paye_cap=ln.paye_cap,
            )
            for ln in copy_from.lines.all()
        )
    audit.record(by, "rate_card.drafted", card, organisation=acting, detail={"version": card.version})
    return card


def _ensure_draft(card: RateCard) -> None:
    if not card.is_draft:
        raise RateCardError(
            f"{card} is {card.get_status_display().lower()}: published cards are never "
            "changed. Start a new version instead."
        )


@transaction.atomic
def update_draft(*, card: RateCard, by, lines: dict[str, tuple[Decimal, Decimal]], **fields) -> RateCard:
    """Replace a draft's details and caps. ``lines`` maps role codes (core or the region's local roles) to
    (limited company/umbrella cap, PAYE cap)."""
    card = RateCard.objects.select_for_update().select_related("region").get(pk=card.pk)
    acting = access.require(by, "rate_card.draft", card, error=RateCardError)
    _ensure_draft(card)
    for name, value in fields.items():
        setattr(card, name, value)
    card.full_clean()
    card.save()
    core = {r.code: r for r in RoleCategory.objects.all()}
    local = {r.code: r for r in LocalRole.objects.filter(region=card.region)}
    new_lines = []
    for code, (inclusive, paye) in lines.items():
        if code not in core and code not in local:
            raise RateCardError(f"“{quote(code)}” is not a role on {card.region.name}'s rate cards.")
        if paye > inclusive:
            raise RateCardError(
                f"The PAYE cap for {code} (£{paye}) is more than its limited company and "
                f"umbrella cap (£{inclusive}). PAYE caps leave out on-costs, so they are lower."
            )
        new_lines.append(
            RateCardLine(
                card=card, role=core.get(code), local_role=local.get(code), inclusive_cap=inclusive, paye_cap=paye
            )
        )
    card.lines.all().delete()
    RateCardLine.objects.bulk_create(new_lines)
    audit.record(by, "rate_card.edited", card, organisation=acting)
    return card


@transaction.atomic
def delete_draft(*, card: RateCard, by) -> None:
    card = RateCard.objects.select_for_update().select_related("region").get(pk=card.pk)
    acting = access.require(by, "rate_card.draft", card, error=RateCardError)
    _ensure_draft(card)
    audit.record(by, "rate_card.draft_deleted", card, organisation=acting)
    card.delete()


@transaction.atomic
def publish(*, card: RateCard, by) -> RateCard:
    """Publish a draft. The open-ended card it follows is closed the day before it starts and marked
    superseded; any other overlap with a published card is refused. The change summary against the
    previous card is written now and kept."""
    # Lock the region's cards so two analysts publishing at once cannot both pass the overlap check.
    list(RateCard.objects.select_for_update().filter(region=card.region))
    card.refresh_from_db()
    acting = access.require(by, "rate_card.draft", card, error=RateCardError)
    _ensure_draft(card)
    if card.lines.filter(role__isnull=False).count() != RoleCategory.objects.count():
        missing = RoleCategory.objects.exclude(pk__in=card.lines.values("role_id")).values_list("name", flat=True)
        raise RateCardError(f"Set caps for every core role before publishing. Missing: {', '.join(missing)}.")
    in_force = RateCard.objects.in_force().filter(region=card.region)
    open_ended = in_force.filter(effective_to__isnull=True, effective_from__lt=card.effective_from).first()
    if card.effective_to is None and in_force.filter(effective_from__gte=card.effective_from).exists():
        later = in_force.filter(effective_from__gte=card.effective_from).order_by("effective_from").first()
        raise RateCardError(
            f"This card has no end date, but {later} starts on {later.effective_from:%d %B %Y}. "
            "Give this card an end date before then, or start it later."
        )
    new_end = card.effective_to or date.max
    overlapping = (
        in_force.exclude(pk=open_ended.pk if open_ended else None)
        .filter(effective_from__lte=new_end)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=card.effective_from))
    )
    clash = overlapping.order_by("effective_from").first()
    if clash is not None:
        until = f"{clash.effective_to:%d %B %Y}" if clash.effective_to else "no end date"
        raise RateCardError(
            f"The dates overlap {clash}, which runs from {clash.effective_from:%d %B %Y} to "
            f"{until}. Change this card's dates so that only one card applies on any day."
        )
    previous = open_ended or in_force.filter(effective_from__lt=card.effective_from).order_by("-effective_from").first()
    if open_ended is not None:
        open_ended.effective_to = card.effective_from - timedelta(days=1)
        open_ended.status = RateCard.Status.SUPERSEDED
        open_ended.save(update_fields=["effective_to", "status"])
        audit.record(
            by,
            "rate_card.superseded",
            open_ended,
            organisation=acting,
            detail={"by_version": card.version},
        )
    elif previous is not None:
        previous.status = RateCard.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    card.previous = previous
    card.change_summary = "\n".join(describe_changes(previous, card))
    card.status, card.approved_by, card.published_at = RateCard.Status.PUBLISHED, by, timezone.now()
    card.save(update_fields=["previous", "change_summary", "status", "approved_by", "published_at"])
    audit.record(
        by,
        "rate_card.published",
        card,
        organisation=acting,
        detail={"version": card.version, "effective_from": card.effective_from.isoformat()},
    )
    return card


def describe_changes(previous: RateCard | None, card: RateCard) -> list[str]:
    """One sentence per role whose caps changed, was added or was removed, in role order."""
    if previous is None:
        return ["The first rate card for this region."]
    before = {ln.role_code: ln for ln in previous.lines.select_related("role", "local_role")}
    after = {ln.role_code: ln for ln in card.lines.select_related("role", "local_role")}
    changes = []
    for code, line in after.items():
        old = before.get(code)
        if old is None:
            changes.append(f"{line.role_name}: added at £{line.inclusive_cap} (PAYE £{line.paye_cap}).")
            continue
        parts = []
        for label, new_value, old_value in (
            ("limited company and umbrella", line.inclusive_cap, old.inclusive_cap),
            ("PAYE", line.paye_cap, old.paye_cap),
        ):
            if new_value != old_value:
                parts.append(f"{label} £{old_value} → £{new_value} ({_signed(new_value - old_value)})")
        if parts:
            changes.append(f"{line.role_name}: {'; '.join(parts)}.")
    changes += [f"{ln.role_name}: removed." for code, ln in before.items() if code not in after]
    return changes or ["No caps changed."]


def _signed(amount: Decimal) -> str:
    return f"+£{amount}" if amount > 0 else f"−£{-amount}"


@transaction.atomic
def sign_off_breach(
    *,
    borough: Borough,
    by,
    registration_number: str,
    role: str,
    engagement_type: str,
    assignment_start: date,
    hourly_rate: Decimal,
    reason: str,
    signed_by_title: str,
    chief_executive: str,
    signed_on: date | None = None,
) -> BreachSignOff:
    """Record that a borough approver accepted an over-cap rate for one assignment. Only an approver of
    ``borough`` may; a rate within the cap needs no sign-off and is refused."""
    acting = access.require(by, "borough.sign_off_breach", borough, error=RateCardError)
    try:
        number = parse_registration_number(registration_number).number
    except RegistrationNumberError as exc:
        raise RateCardError(str(exc)) from exc
    result: RateCheck = check_rate(
        role=role, engagement_type=engagement_type, on=assignment_start, hourly_rate=hourly_rate, region=borough.region
    )
    if result.within_cap:
        raise RateCardError(f"£{hourly_rate} is within the £{result.cap} cap, so it needs no sign-off.")
    existing = BreachSignOff.objects.filter(
        borough=borough,
        registration_number=number,
        role_code=role,
        engagement_type=engagement_type,
        assignment_start=assignment_start,
        hourly_rate=hourly_rate,
    ).first()
    if existing is not None:
        raise RateCardError(
            f"This rate was already signed off for {existing.registration_number} on "
            f"{existing.signed_on:%-d %B %Y} by {existing.signed_by.get_full_name()}."
        )
    sign_off = BreachSignOff.objects.create(
        borough=borough,
        registration_number=number,
        role_code=role,
        engagement_type=engagement_type,
        assignment_start=assignment_start,
        hourly_rate=hourly_rate,
        cap=result.cap,
        excess=result.excess,
        rate_card=result.rate_card,
        reason=reason,
        signed_by=by,
        signed_by_title=signed_by_title,
        chief_executive=chief_executive,
        signed_on=signed_on or timezone.localdate(),
    )
    audit.record(
        by,
        "breach.signed_off",
        sign_off,
        organisation=acting,
        detail={"excess": str(result.excess), "rate_card": result.rate_card.pk},
    )
    return sign_off
