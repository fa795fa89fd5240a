"""The layout at a 1280-pixel screen: the menu of the person with the most journeys stays on one line."""

import pytest

from pledge_portal.accounts.roles import Role
from tests.factories import RegionFactory, user_with_role

from .test_sign_in import current_totp, sign_in, unique_email

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


def test_the_menu_does_not_wrap_at_1280_pixels(live_server, page):
    RegionFactory(name="London")
    admin = user_with_role(Role.PLATFORM_ADMIN, email=unique_email("admin"))
    sign_in(page, live_server.url, admin.email)
    page.get_by_label("Code").fill(current_totp(admin))
    page.get_by_role("button", name="Continue").click()
    items = page.locator(".govuk-service-navigation__item")
    assert items.count() >= 6
    rows = {round(items.nth(i).bounding_box()["y"]) for i in range(items.count())}
    assert len(rows) == 1, f"the menu wraps onto {len(rows)} lines"
