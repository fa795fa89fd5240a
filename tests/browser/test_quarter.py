"""The whole quarter in a browser, as the five roles who take part in it, each in their own browser: the lead
submits, the approver sends it back, the lead submits again, the approver signs it off, the region sends it
back, and round again until the region accepts it; the agency sees its placements and the steering member the
dashboards. Each hand-off is told by email, and axe (the accessibility engine) finds nothing on the pages
the quarter's work goes through."""

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pledge_portal.accounts.roles import Role
from returns.models import Return
from tests.factories import user_with_role

from .test_returns import people  # noqa: F401  (the return, its lead, approver, analyst and agency)
from .test_sign_in import current_totp, sign_in, unique_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def assert_accessible(page: Page) -> None:
    """axe-core's WCAG 2.2 A and AA rules find nothing on the page as it is now."""
    assert AXE.exists(), "axe-core comes from npm: run `make assets`"
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}}); "
        "return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target)}))}"
    )
    assert result == [], f"{page.url}: {json.dumps(result)[:1500]}"


def signed_in(browser, base: str, user, *, two_factor: bool = False) -> Page:
    """A browser of this person's own, signed in once (each role keeps its own, as people do)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    sign_in(page, base, user.email)
    if two_factor:
        page.get_by_label("Code").fill(current_totp(user))
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("navigation", name="Menu")).to_be_visible()
    return page


def told(mailoutbox, *expected) -> None:
    """The last hand-off emailed exactly these people, and then the outbox is emptied for the next."""
    assert {address for m in mailoutbox for address in m.to} == {p.email for p in expected}, [m.to for m in mailoutbox]
    mailoutbox.clear()


def step(page: Page, base: str, ret, name: str, confirm: str, *, comment: str = "") -> None:
    page.goto(f"{base}/returns/{ret.pk}/{name}/")
    expect(page.get_by_text("What happens next")).to_be_visible()
    if comment:
        page.get_by_label("Comment").fill(comment)
    page.get_by_role("button", name=confirm).click()


def test_the_quarter_from_draft_to_accepted_with_both_send_backs(live_server, browser, people, mailoutbox):  # noqa: F811
    base, ret = live_server.url, people["ret"]
    lead = signed_in(browser, base, people["lead"])
    approver = signed_in(browser, base, people["approver"], two_factor=True)
    analyst = signed_in(browser, base, people["analyst"], two_factor=True)

    def submit():
        lead.goto(f"{base}/returns/{ret.pk}/")
        lead.get_by_role("button", name="Check the return").click()
        expect(lead.get_by_role("heading", name="Errors")).to_have_count(0, timeout=20_000)
        expect(lead.get_by_role("heading", name="Queries to explain")).to_be_visible(timeout=20_000)
        explanation = lead.get_by_label("Your explanation")
        if explanation.count() and not explanation.first.input_value():
            explanation.first.fill("Agreed with the head of service.")
            lead.get_by_role("button", name="Save the explanation").first.click()
            expect(lead.get_by_text("Explanation saved.")).to_be_visible()
        lead.goto(f"{base}/returns/{ret.pk}/")
        lead.get_by_role("button", name="Submit for sign-off").click()
        assert_accessible(lead)  # the confirmation page
        lead.get_by_role("button", name="Yes, submit for sign-off").click()
        expect(lead.get_by_text("Return submitted.")).to_be_visible()

    mailoutbox.clear()
    lead.goto(base + "/")
    expect(lead.get_by_role("heading", name="Your to-do list")).to_be_visible()
    assert_accessible(lead)
    submit()
    told(mailoutbox, people["approver"], people["analyst"])

    # The approver finds it on their to-do list and sends it back to the lead.
    approver.goto(base + "/")
    approver.get_by_role("link", name="Sign off Camden's return").click()
    approver.get_by_text("Send the return back to the workforce lead").click()
    approver.get_by_label("Comment").fill("Check the charge rate with the agency.")
    approver.get_by_role("button", name="Send back").click()
    expect(approver.get_by_text("Return sent back to the workforce lead")).to_be_visible()
    told(mailoutbox, people["lead"])

    lead.goto(base + "/")
    expect(lead.get_by_role("link", name="Change Camden's return")).to_be_visible()
    submit()
    told(mailoutbox, people["approver"], people["analyst"])
    step(approver, base, ret, "sign-off", "Yes, sign off the return")
    expect(approver.get_by_text("Return signed off and sent to the regional team.")).to_be_visible()
    told(mailoutbox, people["analyst"])

    # The region sends it back too; once more round, and the region accepts it.
    step(analyst, base, ret, "send-back", "Send back", comment="Spend in month 2 looks low.")
    told(mailoutbox, people["lead"], people["approver"])  # the borough's own users, who change it
    submit()
    told(mailoutbox, people["approver"], people["analyst"])
    step(approver, base, ret, "sign-off", "Yes, sign off the return")
    told(mailoutbox, people["analyst"])
    analyst.goto(base + "/")
    analyst.get_by_role("link", name="Accept or send back Camden's return").click()
    analyst.get_by_role("button", name="Accept the return").click()
    assert_accessible(analyst)
    analyst.get_by_role("button", name="Yes, accept the return").click()
    expect(analyst.get_by_text("Return accepted.")).to_be_visible()
    told(mailoutbox, people["lead"], people["approver"])
    assert Return.objects.get(pk=ret.pk).status == Return.Status.ACCEPTED
    steps = list(Return.objects.get(pk=ret.pk).transitions.values_list("to_status", flat=True))
    assert steps.count("returned") == 2
    analyst.goto(f"{base}/returns/periods/{ret.period_id}/")
    assert_accessible(analyst)

    # The agency and the steering group member take their part.
    agency_user = user_with_role(Role.AGENCY_USER, people["agency"].organisation, email=unique_email("agency"))
    agency = signed_in(browser, base, agency_user)
    agency.goto(base + "/returns/placements/flagged/")
    expect(agency.get_by_role("heading", name="Your placements the checks flagged")).to_be_visible()
    assert_accessible(agency)
    steering_member = user_with_role(
        Role.STEERING_MEMBER, ret.period.region.organisation, email=unique_email("steering")
    )
    steering = signed_in(browser, base, steering_member)
    steering.goto(base + "/")
    assert_accessible(steering)
    steering.get_by_role("navigation", name="Menu").get_by_role("link", name="Dashboards").click()
    expect(steering.get_by_role("heading", level=1)).to_be_visible()
    for page in (lead, approver, analyst, agency, steering):
        page.context.close()
