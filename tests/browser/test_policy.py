"""The Content-Security-Policy in a real browser: pages run GOV.UK Frontend and the API docs draw Swagger UI,
and the browser reports no violation (nothing inline is refused)."""

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("audit_log_flushable")]


def _violations(page: Page) -> list[str]:
    found: list[str] = []
    page.on(
        "console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None
    )
    return found


def test_pages_and_the_api_docs_work_under_the_policy(live_server, page: Page):
    violations = _violations(page)
    page.goto(f"{live_server.url}/")
    expect(page.locator("body")).to_have_class("govuk-template__body js-enabled govuk-frontend-supported")
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .title").first).to_contain_text("London Pledge portal API", timeout=15_000)
    assert violations == []
