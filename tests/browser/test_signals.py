"""Issue 15's pages in a real browser, as their users reach them: the analyst opens the signs of bidding up (and
sets the threshold with the keyboard), the shared referee contacts, the leavers register's matches, a return's
changes since sign-off and a draft card's impact (worked out by its job); the borough lead opens their leavers
and their own bidding-up page. axe finds nothing on any of them."""

from datetime import date

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from dashboards.models import BiddingUpThreshold
from pledge_portal.accounts.roles import Role
from rates import services as rate_services
from rates.models import RateCard
from returns.models import Return

from .test_quarter import assert_accessible
from .test_returns import switch_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


def test_the_analyst_and_the_lead_use_the_london_wide_signals(page: Page, live_server, london):
    side = london["side"]
    base = live_server.url
    analyst, lead = side.users[Role.REGIONAL_ANALYST], side.users[Role.BOROUGH_SUBMITTER]
    camden_return = Return.objects.filter(unit__boroughs=side.borough).order_by("-period__starts_on").first()
    current = RateCard.objects.filter(region=side.region).exclude(published_at=None).first()
    draft = rate_services.create_draft(
        region=side.region,
        by=analyst,
        title="Next year",
        effective_from=date(2027, 4, 1),
        evidence_note="Proposed",
        copy_from=current,
    )

    switch_user(page, base, analyst, two_factor=True)
    page.goto(base + reverse("dashboards:bidding-region", args=[side.region.pk]))
    expect(page.get_by_role("heading", level=1)).to_contain_text("bidding up")
    assert_accessible(page)
    page.goto(base + reverse("dashboards:bidding-threshold", args=[side.region.pk]))
    assert_accessible(page)
    field = page.get_by_label("rise of more than (%)", exact=False).first
    field.fill("15")
    field.press("Enter")  # the form is sent with the keyboard
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    expect(page.get_by_role("heading", level=1)).to_contain_text("bidding up")  # back on the list, saved
    assert BiddingUpThreshold.objects.get(region=side.region).rise_percent == 15
    page.goto(base + reverse("references:shared-contacts", args=[side.region.pk]))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto(base + reverse("returns:leaver-matches", args=[camden_return.period_id]))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto(base + reverse("returns:changes", args=[camden_return.pk]))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto(base + reverse("rates:card-impact", args=[draft.pk]))
    page.get_by_role("button", name="Work out the impact").click()
    expect(page.get_by_role("heading", name="Impact if published")).to_be_visible()
    expect(page.get_by_text("Work out the impact again")).to_be_visible(timeout=60_000)
    assert_accessible(page)

    switch_user(page, base, lead)
    page.goto(base + reverse("returns:leavers", args=[camden_return.pk]))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto(base + reverse("dashboards:bidding-borough", args=[side.borough.pk]))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.goto(base + reverse("references:shared-contacts", args=[side.region.pk]))
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("Shared referee contacts")
