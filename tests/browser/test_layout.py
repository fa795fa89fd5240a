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


def test_a_progress_page_mid_job_is_accessible_and_has_no_meta_refresh(live_server, page):
    from pledge_portal.jobs.models import TaskRun

    from .test_quarter import assert_accessible

    region = RegionFactory(name="London")
    analyst = user_with_role(Role.REGIONAL_ANALYST, region.organisation, email=unique_email("analyst"))
    run = TaskRun.objects.create(
        kind="audit.export",
        label="Exporting the audit log",
        created_by=analyst,
        status=TaskRun.Status.RUNNING,
        progress=40,
        message="Events of 2026",
        action="audit.read",
    )
    sign_in(page, live_server.url, analyst.email)
    page.get_by_label("Code").fill(current_totp(analyst))
    page.get_by_role("button", name="Continue").click()
    page.goto(f"{live_server.url}/jobs/{run.pk}/")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert page.get_by_role("status").count() == 1 and "40% done" in page.get_by_role("status").inner_text()
    assert_accessible(page)
