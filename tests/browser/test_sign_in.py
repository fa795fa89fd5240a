"""Signing in through the real login form in a real browser, as each kind of user would.

Each test types into fields found by their visible labels, then checks the home page made for the user's
role: its heading, the organisation only that user's home page names, and the journeys in the navigation.
Screenshots of each home page land in ``test-artifacts/`` for a person to look at.
"""

import re
import time
import uuid

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from playwright.sync_api import Page, expect

from pledge_portal.accounts.roles import Role
from pledge_portal.core.journeys import journeys_for
from tests.factories import PASSWORD, AgencyFactory, BoroughFactory, RegionFactory, totp_secret, user_with_role

from .conftest import artifact_path

# The live server reads the data from another thread, so it must be committed. audit_log_flushable lets
# the flush after each test pass the audit table's append-only triggers (see tests/jobs/conftest.py).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]

LOGIN_PATH = "/accounts/login/"


@pytest.fixture
def tenants():
    """Two boroughs and two agencies in one region, so each home page can be checked for the other's name."""
    region = RegionFactory(name="London", organisation__name="London Pledge programme team")
    return {
        "borough": BoroughFactory(name="Camden", region=region),
        "other_borough": BoroughFactory(name="Hackney", region=region),
        "agency": AgencyFactory(name="Northgate Social Care Ltd"),
        "other_agency": AgencyFactory(name="Riverside Locums Ltd"),
        "region": region,
    }


def unique_email(label: str) -> str:
    # A fresh address per run: nothing kept between runs (Redis, a reused database) can refer to it.
    return f"{label}-{uuid.uuid4().hex[:8]}@example.test"


def sign_in(page: Page, base_url: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base_url + LOGIN_PATH)
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def navigation_items(page: Page) -> list[str]:
    menu = page.get_by_role("navigation", name="Menu")
    return [text.strip() for text in menu.get_by_role("link").all_inner_texts()]


def assert_navigation(page: Page, user, *, shows: set[str], hides: set[str]) -> None:
    """The menu is exactly the user's journeys (pledge_portal/core/journeys.py), in order, and in
    particular shows and hides the ones named."""
    items = navigation_items(page)
    assert items == [j.title for j in journeys_for(user) if j.in_navigation]
    assert shows <= set(items), f"missing from the menu: {shows - set(items)}"
    assert not hides & set(items), f"in the menu but should not be: {hides & set(items)}"


def current_totp(user) -> str:
    """The code an authenticator app shows now. allauth accepts only the current 30-second step, so a code
    taken in the last two seconds of a step waits for the next one rather than expire on its way."""
    if time.time() % 30 > 28:
        time.sleep(30 - time.time() % 30 + 0.1)
    return format_hotp_value(hotp_value(totp_secret(user), int(time.time()) // 30))


def assert_styled(page: Page, base_url: str) -> None:
    """The stylesheet is served and applied: GOV.UK Frontend's layout with the portal's own typeface."""
    response = page.request.get(base_url + "/static/build/portal.css")
    assert response.ok, f"portal.css answered {response.status}: run `make assets`"
    font = page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily")
    assert "system-ui" in font, f"The page looks unstyled: the heading's font is {font!r}"
    width = page.evaluate("document.querySelector('.govuk-width-container').getBoundingClientRect().width")
    # The portal's page width is 1140px (static/src/portal.scss); unstyled, the container would fill the window.
    assert width <= 1140, f"The width container is {width}px wide, so GOV.UK's layout CSS did not apply"


def test_borough_workforce_lead_signs_in_and_sees_their_borough(page: Page, live_server, tenants):
    email = unique_email("lead")
    lead = user_with_role(Role.BOROUGH_SUBMITTER, tenants["borough"].organisation, email=email, full_name="Bea Lead")

    sign_in(page, live_server.url, email)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your borough's returns and references")
    main = page.get_by_role("main")
    expect(main.get_by_text("Borough workforce lead, Camden")).to_be_visible()
    expect(main.get_by_role("heading", name="Your borough", exact=True)).to_be_visible()
    expect(main.get_by_role("term").filter(has_text="Camden")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Hackney")
    expect(page.locator("body")).not_to_contain_text("Northgate Social Care Ltd")
    expect(page.get_by_role("banner")).to_contain_text("Bea Lead")
    assert_navigation(
        page, lead, shows={"Caps", "Returns"}, hides={"Audit log", "Agencies", "Your team", "Authorities"}
    )
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    assert_styled(page, live_server.url)
    page.screenshot(path=str(artifact_path("home-borough-workforce-lead")), full_page=True)


def test_agency_user_signs_in_and_sees_their_agency(page: Page, live_server, tenants):
    email = unique_email("agency")
    agent = user_with_role(Role.AGENCY_USER, tenants["agency"].organisation, email=email, full_name="Ade Agent")

    sign_in(page, live_server.url, email)

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your agency on the London Pledge")
    main = page.get_by_role("main")
    expect(main.get_by_text("Agency user, Northgate Social Care Ltd")).to_be_visible()
    expect(main.get_by_role("heading", name="Your agency", exact=True)).to_be_visible()
    expect(main.get_by_role("term").filter(has_text="Northgate Social Care Ltd")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Riverside Locums Ltd")
    expect(page.locator("body")).not_to_contain_text("Camden")
    assert_navigation(
        page, agent, shows={"Caps", "References"}, hides={"Audit log", "Agencies", "Your team", "Authorities"}
    )
    expect(page.get_by_role("link", name="Audit log")).to_have_count(0)
    expect(page.get_by_role("link", name="Agencies", exact=True)).to_have_count(0)
    assert_styled(page, live_server.url)
    page.screenshot(path=str(artifact_path("home-agency-user")), full_page=True)


def test_regional_analyst_signs_in_with_a_two_factor_code(page: Page, live_server, tenants):
    email = unique_email("analyst")
    analyst = user_with_role(Role.REGIONAL_ANALYST, tenants["region"].organisation, email=email, full_name="Ana Lyst")

    sign_in(page, live_server.url, email)

    # The password alone is not enough: the portal asks for the authenticator code before any page.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    expect(page.get_by_label("Code")).to_be_visible()
    page.screenshot(path=str(artifact_path("sign-in-two-factor")), full_page=True)
    # Until the code is given nobody is signed in: the home page is the public landing page.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", name="The region at a glance")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # Going back to sign in resumes the half-finished sign-in at the code step.
    page.goto(live_server.url + LOGIN_PATH)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    code = current_totp(analyst)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Continue").click()

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("The region at a glance")
    main = page.get_by_role("main")
    expect(main.get_by_text("Regional analyst, London Pledge programme team")).to_be_visible()
    expect(main.get_by_role("heading", name="London", exact=True)).to_be_visible()
    assert_navigation(page, analyst, shows={"Rate cards", "Audit log"}, hides={"Authorities"})
    assert_styled(page, live_server.url)
    page.screenshot(path=str(artifact_path("home-regional-analyst")), full_page=True)


def test_sign_in_with_the_keyboard_alone(page: Page, live_server, tenants):
    email = unique_email("keyboard")
    user_with_role(Role.BOROUGH_SUBMITTER, tenants["borough"].organisation, email=email)
    page.goto(live_server.url + LOGIN_PATH)

    # The first Tab lands on the skip link, which becomes visible and jumps to the main content.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()

    # Keep tabbing (a bounded number of times) until the email field has focus; nothing else is used.
    email_field = page.get_by_label("Email address")
    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "id_login":
            break
        page.keyboard.press("Tab")
    expect(email_field).to_be_focused()
    page.keyboard.type(email)

    page.keyboard.press("Tab")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your borough's returns and references")


def test_wrong_password_shows_the_error_summary_and_stays_on_sign_in(page: Page, live_server, tenants):
    email = unique_email("wrong")
    user_with_role(Role.BOROUGH_SUBMITTER, tenants["borough"].organisation, email=email)

    sign_in(page, live_server.url, email, password="not-the-right-password")

    expect(page).to_have_url(live_server.url + LOGIN_PATH)
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus there, so screen readers announce it
    expect(summary).to_contain_text("not correct")
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    # The address typed is kept, the password is not, and nobody is signed in.
    expect(page.get_by_label("Email address")).to_have_value(email)
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    page.screenshot(path=str(artifact_path("sign-in-wrong-password")), full_page=True)
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Your borough's returns and references")


def _relative_luminance(rgb: str) -> float:
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    lighter, darker = sorted((_relative_luminance(foreground), _relative_luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_header_account_links_are_legible_on_the_dark_header(page: Page, live_server, tenants):
    """WCAG 2.2 AA (1.4.3) asks for 4.5:1 contrast for text this size: the user's name and "Sign out" in
    the black header must be light enough to read."""
    email = unique_email("contrast")
    user_with_role(Role.BOROUGH_SUBMITTER, tenants["borough"].organisation, email=email, full_name="Bea Lead")
    sign_in(page, live_server.url, email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your borough's returns and references")

    header = page.get_by_role("banner")
    background = header.evaluate("e => getComputedStyle(e).backgroundColor")
    for control in (header.get_by_role("link", name="Bea Lead"), header.get_by_role("button", name="Sign out")):
        colour = control.evaluate("e => getComputedStyle(e).color")
        ratio = contrast_ratio(colour, background)
        assert ratio >= 4.5, (
            f"{control.inner_text()!r} is {colour} on the header's {background}: contrast {ratio:.2f}:1, "
            "below WCAG AA's 4.5:1 (is static/build/portal.css out of date? run `make assets`)"
        )
