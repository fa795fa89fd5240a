"""Rate cards: drafted and published by their region's analysts, never edited once published."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from rates import services
from rates.models import RateCard

from .helpers import CAPS, publish_card


@pytest.fixture
def analyst(world):
    return world.own.users[Role.REGIONAL_ANALYST]


def draft(region, by, **fields):
    fields.setdefault("effective_from", date(2027, 4, 1))
    card = services.create_draft(region=region, by=by, title="Draft", evidence_note="Evidence", **fields)
    services.update_draft(card=card, by=by, lines={k: (Decimal(a), Decimal(b)) for k, (a, b) in CAPS.items()})
    return card


def test_publishing_supersedes_the_open_ended_card_and_summarises_changes(world, analyst):
    region = world.own.region
    first = publish_card(region, analyst, effective_from=date(2025, 4, 1))
    second = draft(region, analyst, effective_from=date(2026, 4, 1))
    services.update_draft(
        card=second,
        by=analyst,
        lines={
            **{k: (Decimal(a), Decimal(b)) for k, (a, b) in CAPS.items()},
            "social-worker": (Decimal("37.00"), Decimal("32.00")),
        },
    )
    services.publish(card=second, by=analyst)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.effective_to) == (RateCard.Status.SUPERSEDED, date(2026, 3, 31))
    assert second.status == RateCard.Status.PUBLISHED and second.approved_by == analyst
    assert second.change_summary == (
        "Social worker: limited company and umbrella £36.40 → £37.00 (+£0.60); PAYE £31.85 → £32.00 (+£0.15)."
    )
    assert AuditEvent.objects.filter(action="rate_card.published", target_id=str(second.pk)).exists()


def test_overlapping_dates_are_refused_with_a_clear_message(world, analyst):
    region = world.own.region
    publish_card(region, analyst, effective_from=date(2025, 4, 1), effective_to=date(2026, 3, 31))
    overlapping = draft(region, analyst, effective_from=date(2026, 1, 1))
    with pytest.raises(services.RateCardError, match="The dates overlap Caps"):
        services.publish(card=overlapping, by=analyst)
    overlapping.refresh_from_db()
    assert overlapping.is_draft


def test_an_open_ended_card_cannot_start_before_a_later_one(world, analyst):
    region = world.own.region
    publish_card(region, analyst, effective_from=date(2026, 4, 1))
    earlier = draft(region, analyst, effective_from=date(2025, 4, 1))
    with pytest.raises(services.RateCardError, match="Give this card an end date"):
        services.publish(card=earlier, by=analyst)


def test_published_cards_are_never_edited(world, analyst, client_for):
    card = publish_card(world.own.region, analyst)
    with pytest.raises(services.RateCardError, match="published cards are never changed"):
        services.update_draft(card=card, by=analyst, lines={})
    with pytest.raises(services.RateCardError):
        services.delete_draft(card=card, by=analyst)
    assert client_for(analyst).get(reverse("rates:card-edit", args=[card.pk])).status_code == 404


def test_a_card_missing_a_core_role_cannot_be_published(world, analyst):
    card = services.create_draft(
        region=world.own.region, by=analyst, title="Half", evidence_note="x", effective_from=date(2026, 4, 1)
    )
    services.update_draft(card=card, by=analyst, lines={"social-worker": (Decimal("36"), Decimal("31"))})
    with pytest.raises(services.RateCardError, match="Missing: Senior social worker"):
        services.publish(card=card, by=analyst)


def test_paye_cap_above_the_inclusive_cap_is_refused(world, analyst):
    card = services.create_draft(
        region=world.own.region, by=analyst, title="Odd", evidence_note="x", effective_from=date(2026, 4, 1)
    )
    with pytest.raises(services.RateCardError, match="PAYE caps leave out on-costs"):
        services.update_draft(card=card, by=analyst, lines={"social-worker": (Decimal("30"), Decimal("31"))})


def test_analyst_drafts_edits_and_publishes_in_the_browser_forms(world, analyst, client_for):
    publish_card(world.own.region, analyst, effective_from=date(2025, 4, 1))
    client = client_for(analyst)
    created = client.post(
        reverse("rates:card-create"),
        {"title": "2026-27", "effective_from": "2026-04-01", "evidence_note": "Steering group, 3 March"},
    )
    card = RateCard.objects.get(title="2026-27")
    assert created["Location"] == reverse("rates:card-edit", args=[card.pk])
    assert card.lines.count() == 5  # copied from the card in force
    form = {"card-title": "2026-27", "card-effective_from": "2026-04-01", "card-evidence_note": "Agreed"}
    for code, (inclusive, paye) in CAPS.items():
        form[f"caps-{code}__inclusive"], form[f"caps-{code}__paye"] = inclusive, paye
    form["caps-social-worker__inclusive"] = "£37,10"
    bad = client.post(reverse("rates:card-edit", args=[card.pk]), {**form, "caps-team-manager__paye": "lots"})
    assert bad.status_code == 400 and "not an amount of money" in bad.content.decode()
    assert client.post(reverse("rates:card-edit", args=[card.pk]), form).status_code == 302
    assert card.lines.get(role__code="social-worker").inclusive_cap == Decimal("37.10")
    client.post(reverse("rates:card-publish", args=[card.pk]))
    card.refresh_from_db()
    assert card.status == RateCard.Status.PUBLISHED
    assert "£36.40 → £37.10" in client.get(reverse("rates:card-detail", args=[card.pk])).content.decode()


def test_drafts_of_another_region_are_invisible(world, analyst, client_for):
    other_draft = draft(world.other.region, world.other.users[Role.REGIONAL_ANALYST])
    client = client_for(analyst)
    assert client.get(reverse("rates:card-detail", args=[other_draft.pk])).status_code == 404
    assert client.post(reverse("rates:card-publish", args=[other_draft.pk])).status_code == 404
    assert client.post(reverse("rates:card-delete", args=[other_draft.pk])).status_code == 404
    other_draft.refresh_from_db()
    assert other_draft.is_draft
    assert other_draft not in client.get(reverse("rates:cards")).context["cards"]


@pytest.mark.parametrize("role", [Role.AGENCY_ADMIN, Role.BOROUGH_APPROVER, Role.STEERING_MEMBER])
def test_only_analysts_draft_cards(role, world, client_for):
    client = client_for(world.own.users[role])
    assert (
        client.post(
            reverse("rates:card-create"), {"title": "x", "effective_from": "2026-04-01", "evidence_note": "x"}
        ).status_code
        == 403
    )
    assert not RateCard.objects.exists()
