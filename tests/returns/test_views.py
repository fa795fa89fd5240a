"""Return pages and API: starting, editing rows and workforce in the browser, stale edits, explanations,
the workflow buttons, periods and completeness; the API for managed service providers."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from returns import services
from returns.models import Return

from .helpers import add_row, draft_return, open_period, unit_of
from .test_workflow import checked


@pytest.fixture
def submitter(world, client_for):
    return client_for(world.own.users[Role.BOROUGH_SUBMITTER])


ROW = {
    "registration_number": "sw 123456",
    "role": "",
    "agency_name": "Own Agency Ltd",
    "engagement_type": "paye",
    "start_date": "04/05/2026",
    "end_date": "",
    "hourly_pay_rate": "£31.50",
    "hourly_charge_rate": "40",
    "pqe_years": "4.5",
    "reference_received": "yes",
    "notice_period_weeks": "4",
}


def row_post(world, ret, **changes):
    from rates.models import RoleCategory

    return {
        **ROW,
        "borough": world.own.borough.pk,
        "role": RoleCategory.objects.get(code="social-worker").pk,
        "revision": ret.revision,
        **changes,
    }


def test_a_borough_user_starts_the_return_once_from_the_list(world, submitter):
    from tests.rates.helpers import publish_card

    publish_card(world.own.region, world.own.users[Role.REGIONAL_ANALYST])
    period = open_period(world.own)
    unit = unit_of(world.own)
    page = submitter.get(reverse("returns:list")).content.decode()
    assert f"Start {unit}" in page
    first = submitter.post(reverse("returns:start"), {"unit": unit.pk, "period": period.pk})
    second = submitter.post(reverse("returns:start"), {"unit": unit.pk, "period": period.pk})  # double click
    assert first["Location"] == second["Location"] and Return.objects.count() == 1
    other_unit = unit_of(world.other)
    assert submitter.post(reverse("returns:start"), {"unit": other_unit.pk, "period": period.pk}).status_code == 404


def test_a_row_is_added_with_uk_dates_and_pounds(world, submitter):
    ret = draft_return(world.own)
    response = submitter.post(reverse("returns:row-add", args=[ret.pk]), row_post(world, ret))
    assert response.status_code == 302
    row = ret.assignments.get()
    assert row.registration_number == "SW123456" and str(row.hourly_pay_rate) == "31.50"
    assert str(row.start_date) == "2026-05-04" and row.reference_received is True
    assert row.agency == world.own.agency  # matched by name to the agency on the portal
    page = submitter.get(reverse("returns:detail", args=[ret.pk])).content.decode()
    assert "SW123456" in page and "Row 1 saved" in page


def test_a_registration_number_is_saved_without_hidden_characters_and_other_digits_are_refused(world, submitter):
    ret = draft_return(world.own)
    url = reverse("returns:row-add", args=[ret.pk])
    refused = submitter.post(url, row_post(world, ret, registration_number="SW١٢٣٤٥٦"))
    assert refused.status_code == 400 and "digits other than 0 to 9" in refused.content.decode()
    assert not ret.assignments.exists()
    assert submitter.post(url, row_post(world, ret, registration_number="SW\u200b123456")).status_code == 302
    assert ret.assignments.get().registration_number == "SW123456"


def test_a_form_with_bad_values_lists_them_and_saves_nothing(world, submitter):
    ret = draft_return(world.own)
    response = submitter.post(
        reverse("returns:row-add", args=[ret.pk]), row_post(world, ret, start_date="31/02/2026", hourly_pay_rate="abc")
    )
    page = response.content.decode()
    assert response.status_code == 400 and "There is a problem" in page and "Enter a real date" in page
    assert not ret.assignments.exists()


def test_an_edit_made_on_an_older_revision_is_refused_and_keeps_what_was_typed(world, submitter, client_for):
    ret = draft_return(world.own)
    row = add_row(ret, world.own)
    ret.refresh_from_db()
    seen = ret.revision
    colleague = client_for(world.own.users[Role.BOROUGH_APPROVER])
    assert (
        colleague.post(
            reverse("returns:row-edit", args=[ret.pk, row.pk]), row_post(world, ret, pqe_years="9")
        ).status_code
        == 302
    )
    response = submitter.post(
        reverse("returns:row-edit", args=[ret.pk, row.pk]), row_post(world, ret, revision=seen, pqe_years="2")
    )
    page = response.content.decode()
    assert response.status_code == 400 and "Someone else changed this return" in page and 'value="2"' in page
    row.refresh_from_db()
    assert row.pqe_years == 9


def test_rows_are_ended_and_removed(world, submitter):
    ret = draft_return(world.own)
    first, second = (
        add_row(ret, world.own, registration_number="SW1"),
        add_row(ret, world.own, registration_number="SW2"),
    )
    ret.refresh_from_db()
    end = submitter.post(
        reverse("returns:row-end", args=[ret.pk, first.pk]), {"revision": ret.revision, "end_date": "01/03/2026"}
    )
    assert end.status_code == 400 and "on or after the start date" in end.content.decode()
    ret.refresh_from_db()
    assert (
        submitter.post(
            reverse("returns:row-end", args=[ret.pk, first.pk]), {"revision": ret.revision, "end_date": "30/09/2026"}
        ).status_code
        == 302
    )
    ret.refresh_from_db()
    assert (
        submitter.post(reverse("returns:row-remove", args=[ret.pk, second.pk]), {"revision": ret.revision}).status_code
        == 302
    )
    assert list(ret.assignments.values_list("registration_number", "end_date")) == [
        ("SW1", first.start_date.replace(month=9, day=30))
    ]
    assert submitter.get(reverse("returns:row-edit", args=[ret.pk, second.pk])).status_code == 404


def test_the_workforce_section_is_saved(world, submitter):
    ret = draft_return(world.own)
    line = ret.workforce.get(role__code="social-worker")
    data = {
        "revision": ret.revision,
        f"{line.role_id}-permanent_headcount": "40",
        f"{line.role_id}-agency_fte": "5.5",
        "agency_spend_month_1": "£12,500.00",
    }
    response = submitter.post(reverse("returns:workforce", args=[ret.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    line.refresh_from_db()
    ret.refresh_from_db()
    assert (
        line.permanent_headcount == 40
        and str(line.agency_fte) == "5.50"
        and str(ret.agency_spend_month_1) == "12500.00"
    )


def test_readers_who_are_not_makers_cannot_edit(world, client_for):
    ret = draft_return(world.own)
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    assert analyst.get(reverse("returns:detail", args=[ret.pk])).status_code == 200
    # Analysts read returns but never change them: refused at the door, before the return is even looked up.
    assert analyst.post(reverse("returns:row-add", args=[ret.pk]), row_post(world, ret)).status_code == 403
    assert not ret.assignments.exists()


def test_queries_are_explained_on_the_findings_page_and_the_return_submitted(world, submitter, client_for):
    ret = draft_return(world.own)
    add_row(ret, world.own)
    ret = checked(ret, queries=["ROW-010:SW100200::notice"])
    url = reverse("returns:findings", args=[ret.pk])
    assert "Why?" in submitter.get(url).content.decode()
    blank = submitter.post(url, {"key": "ROW-010:SW100200::notice", "text": ""})
    assert blank.status_code == 400 and "Write an explanation" in blank.content.decode()
    assert (
        submitter.post(url, {"key": "ROW-010:SW100200::notice", "text": "Agreed by the head of service"}).status_code
        == 302
    )
    assert submitter.post(reverse("returns:workflow", args=[ret.pk, "submit"])).status_code == 302
    ret.refresh_from_db()
    assert ret.status == Return.Status.SUBMITTED
    approver = client_for(world.own.users[Role.BOROUGH_APPROVER])
    approver.post(reverse("returns:workflow", args=[ret.pk, "sign-off"]))
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    refused = analyst.post(reverse("returns:workflow", args=[ret.pk, "send-back"]), {"comment": ""}, follow=True)
    assert "Write a comment" in refused.content.decode()
    analyst.post(reverse("returns:workflow", args=[ret.pk, "accept"]), {"comment": ""})
    ret.refresh_from_db()
    assert ret.status == Return.Status.ACCEPTED
    assert submitter.get(reverse("returns:snapshot", args=[ret.pk, 1])).status_code == 200


def test_completeness_shows_every_unit_and_highlights_late_ones(world, client_for):
    ret = draft_return(world.own)
    period = ret.period
    services.ensure_reporting_units(region=world.own.region)
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    page = analyst.get(reverse("returns:completeness", args=[period.pk])).content.decode()
    assert world.own.borough.name in page and world.own.msp_borough.name in page and "Late" not in page
    type(period).objects.filter(pk=period.pk).update(
        deadline=timezone.localdate() - timedelta(days=1), opens_on=timezone.localdate() - timedelta(days=10)
    )
    page = analyst.get(reverse("returns:completeness", args=[period.pk])).content.decode()
    assert page.count(">Late<") == 2


def test_an_analyst_opens_a_period_from_the_form(world, client_for):
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    bad = analyst.post(
        reverse("returns:period-create"),
        {"starts_on": "02/07/2026", "deadline": "31/12/2026", "locks_on": "31/12/2026", "cool_off_months": "6"},
    )
    assert bad.status_code == 400 and "first day of a quarter" in bad.content.decode()
    good = analyst.post(
        reverse("returns:period-create"),
        {"starts_on": "01/10/2026", "deadline": "31/01/2027", "locks_on": "28/02/2027", "cool_off_months": "6"},
    )
    assert good.status_code == 302


# --- API ----------------------------------------------------------------------------------------


def api_row(world, **changes):
    return {
        "borough": world.own.msp_borough.gss_code,
        "registration_number": "SW555",
        "role": "social-worker",
        "agency": world.own.agency.name,
        "engagement_type": "umbrella",
        "start_date": "2026-05-04",
        "hourly_pay_rate": "35.00",
        "hourly_charge_rate": "44.10",
        "pqe_years": "6.0",
        "reference_received": True,
        "notice_period_weeks": 4,
        **changes,
    }


@pytest.fixture
def msp_return(world):
    from tests.rates.helpers import publish_card

    side = world.own
    publish_card(side.region, side.users[Role.REGIONAL_ANALYST])
    period = open_period(side)
    services.ensure_reporting_units(region=side.region)
    unit = type(unit_of(side)).objects.get(boroughs=side.msp_borough)
    return services.start_return(unit=unit, period=period, by=side.users[Role.MSP_USER])


def test_an_msp_sends_rows_by_api_replace_then_merge(world, client_for, msp_return):
    msp = client_for(world.own.users[Role.MSP_USER])
    url = reverse("api-return-assignments", args=[msp_return.pk])
    body = {
        "revision": msp_return.revision,
        "mode": "replace",
        "rows": [api_row(world), api_row(world, registration_number="SW556")],
    }
    response = msp.put(url, body, content_type="application/json")
    assert response.status_code == 200, response.content
    assert (
        response.json()["added"] == 2
        and msp_return.assignments.get(registration_number="SW555").agency == world.own.agency
    )
    stale = msp.put(url, {**body, "mode": "merge"}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["revision"] == response.json()["revision"]
    merged = msp.put(
        url,
        {"revision": response.json()["revision"], "mode": "merge", "rows": [api_row(world, pqe_years="7.0")]},
        content_type="application/json",
    )
    assert merged.json()["updated"] == 1 and msp_return.assignments.count() == 2
    detail = msp.get(reverse("api-return", args=[msp_return.pk])).json()
    assert {r["registration_number"] for r in detail["assignments"]} == {"SW555", "SW556"}
    assert (
        detail["assignments"][0]["hourly_pay_rate"] == "35.00" and detail["assignments"][0]["role"] == "social-worker"
    )


def test_bad_api_rows_get_a_message_per_field_and_change_nothing(world, client_for, msp_return):
    msp = client_for(world.own.users[Role.MSP_USER])
    url = reverse("api-return-assignments", args=[msp_return.pk])
    body = {
        "revision": msp_return.revision,
        "mode": "replace",
        "rows": [api_row(world), api_row(world, hourly_pay_rate="38.505", role="wizard", start_date="2026-02-30")],
    }
    response = msp.put(url, body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["rows"]["1"]  # keyed by the row's index in the request
    assert {"hourly_pay_rate", "role", "start_date"} <= set(errors)
    wrong_borough = msp.put(
        url, {**body, "rows": [api_row(world, borough=world.own.borough.gss_code)]}, content_type="application/json"
    )
    assert wrong_borough.status_code == 400 and "not part of" in str(wrong_borough.json())
    assert not msp_return.assignments.exists()


def test_api_registration_numbers_are_stored_without_hidden_characters_and_other_digits_refused(
    world, client_for, msp_return
):
    msp = client_for(world.own.users[Role.MSP_USER])
    url = reverse("api-return-assignments", args=[msp_return.pk])
    body = {"revision": msp_return.revision, "mode": "replace", "rows": [api_row(world, registration_number="SW५५५")]}
    refused = msp.put(url, body, content_type="application/json")
    assert refused.status_code == 400
    assert "digits other than 0 to 9" in refused.json()["rows"]["0"]["registration_number"][0]
    assert not msp_return.assignments.exists()
    body["rows"] = [api_row(world, registration_number="\ufeffSW\u200b555")]
    assert msp.put(url, body, content_type="application/json").status_code == 200
    assert msp_return.assignments.get().registration_number == "SW555"


def test_the_api_refuses_other_tenants_and_readers(world, client_for, msp_return):
    url = reverse("api-return-assignments", args=[msp_return.pk])
    body = {"revision": msp_return.revision, "mode": "replace", "rows": [api_row(world)]}
    assert (
        client_for(world.other.users[Role.MSP_USER]).put(url, body, content_type="application/json").status_code == 404
    )
    assert (
        client_for(world.own.users[Role.REGIONAL_ANALYST]).put(url, body, content_type="application/json").status_code
        == 403
    )
    assert not msp_return.assignments.exists()


def test_each_step_asks_for_confirmation_and_says_what_happens_next(world, client_for):
    ret = checked(draft_return(world.own))
    submitter = client_for(world.own.users[Role.BOROUGH_SUBMITTER])
    url = reverse("returns:workflow", args=[ret.pk, "submit"])
    asked = submitter.get(url)
    assert asked.status_code == 200 and "What happens next" in asked.content.decode()
    ret.refresh_from_db()
    assert ret.status == Return.Status.DRAFT  # asking changes nothing
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    assert analyst.get(url).status_code == 403  # not the analyst's step
    assert analyst.get(reverse("returns:workflow", args=[ret.pk, "no-such-step"])).status_code == 404


def test_an_agency_lists_its_own_flagged_placements_in_submitted_returns(world, client_for):
    ret = draft_return(world.own)
    add_row(ret, world.own, notice_period_weeks=8)  # a query: notice over four weeks
    ret = checked(ret, queries=["ROW-010:SW100200::notice"])
    from returns.models import Finding

    Finding.objects.filter(ret=ret).update(assignment=ret.assignments.get())
    url = reverse("returns:placement-flags")
    agency = client_for(world.own.users[Role.AGENCY_USER])
    assert "None of your placements" in agency.get(url).content.decode()  # a draft is the borough's own work
    Return.objects.filter(pk=ret.pk).update(status=Return.Status.SUBMITTED)
    page = agency.get(url).content.decode()
    assert "ROW-010" in page and world.own.borough.name in page and "SW100200" in page
    assert "Why?" not in page  # the rule's title, never the finding's own words
    other_agency = client_for(world.other.users[Role.AGENCY_USER])
    assert "SW100200" not in other_agency.get(url).content.decode()
    assert client_for(world.own.users[Role.BOROUGH_SUBMITTER]).get(url).status_code == 403


def test_analysts_filter_returns_by_quarter_status_and_unit_and_links_name_the_quarter(world, client_for):
    ret = draft_return(world.own)
    other_ret = draft_return(world.other)
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    url = reverse("returns:list")
    page = analyst.get(url).content.decode()
    assert f'{ret.unit}<span class="govuk-visually-hidden">, {ret.period.label}</span>' in page
    assert "Reporting unit" in page and "All statuses" in page
    assert str(ret.unit) not in analyst.get(url, {"status": "submitted"}).content.decode().split("<tbody")[1]
    assert str(ret.unit) in analyst.get(url, {"status": "draft", "period": ret.period_id}).content.decode()
    # Another region's quarter is not a choice: the filter says so and the list is not narrowed by it.
    forged = analyst.get(url, {"period": other_ret.period_id}).content.decode()
    assert "Select a valid choice" in forged and str(ret.unit) in forged.split("<tbody")[1]


def _accepted(world) -> Return:
    side = world.own
    ret = checked(draft_return(side))
    services.submit_return(ret=ret, by=side.users[Role.BOROUGH_SUBMITTER])
    services.sign_off_return(ret=ret, by=side.users[Role.BOROUGH_APPROVER])
    return services.accept_return(ret=ret, by=side.users[Role.REGIONAL_ANALYST])


@pytest.mark.parametrize(
    "step,role",
    [
        ("reopen", Role.BOROUGH_SUBMITTER),
        ("reopen", Role.BOROUGH_APPROVER),
        ("reopen", Role.STEERING_MEMBER),
        ("accept", Role.STEERING_MEMBER),
        ("send-back", Role.MSP_USER),
    ],
)
def test_a_step_the_role_may_not_take_is_refused_with_a_message_not_redirected(step, role, world, client_for):
    """A refusal must look like one: 403 with the reason (or 404 for a return out of reach), never a 302 back
    to the return that reads like success."""
    ret = _accepted(world)
    response = client_for(world.own.users[role]).post(
        reverse("returns:workflow", args=[ret.pk, step]), {"comment": "Please correct the rates"}
    )
    assert response.status_code in (403, 404), response.status_code
    if response.status_code == 403:
        assert "does not let you do this" in response.content.decode()
    ret.refresh_from_db()
    assert ret.status == Return.Status.ACCEPTED


@pytest.mark.parametrize("role", [Role.STEERING_MEMBER, Role.AGENCY_USER])
def test_a_check_by_a_role_that_may_not_is_refused_on_the_page_and_the_api(role, world, client_for):
    from pledge_portal.accounts import services as account_services

    ret = draft_return(world.own)
    user = world.own.users[role]
    page = client_for(user).post(reverse("returns:check", args=[ret.pk]))
    assert page.status_code == 403 and "Your role does not give you access" in page.content.decode()
    key = account_services.create_api_token(user=user)
    for name in ("api-return-validate", "api-return-submit"):
        api = client_for(None).post(reverse(name, args=[ret.pk]), HTTP_AUTHORIZATION=f"Token {key}")
        assert api.status_code in (403, 404) and api.json()["detail"], name
    assert not ret.validation_runs.exists()
    ret.refresh_from_db()
    assert ret.status == Return.Status.DRAFT


def test_an_msp_finishes_a_return_by_api_workforce_spend_explanations_and_submission(world, client_for, msp_return):
    from decimal import Decimal

    from rates.models import RoleCategory
    from returns.models import Finding, QueryExplanation, ValidationRun

    msp = client_for(world.own.users[Role.MSP_USER])
    ret = msp_return
    url = reverse("api-return-workforce", args=[ret.pk])
    lines = [
        {
            "role": role.code,
            "permanent_headcount": 10,
            "permanent_fte": "9.5",
            "agency_headcount": 1,
            "agency_fte": "1",
            "vacancies_fte": "0",
            "starters": 0,
            "leavers": 0,
        }
        for role in RoleCategory.objects.all()
    ]
    body = {
        "revision": ret.revision,
        "lines": lines,
        "agency_spend_month_1": "£21,000",
        "agency_spend_month_2": "20500",
        "agency_spend_month_3": "22000",
        "project_teams": 0,
    }
    refused = msp.put(
        url, {**body, "lines": [{**lines[0], "permanent_headcount": -1}]}, content_type="application/json"
    )
    assert refused.status_code == 400  # the same rule as the page's form: no negative figures
    stale = msp.put(url, {**body, "revision": ret.revision - 1}, content_type="application/json")
    assert stale.status_code == 409
    saved = msp.put(url, body, content_type="application/json")
    assert saved.status_code == 200, saved.content
    ret.refresh_from_db()
    assert ret.agency_spend_month_1 == Decimal("21000") and ret.workforce.get(
        role__code="social-worker"
    ).permanent_fte == Decimal("9.5")
    # A query found by the check is explained through the API, then the return is submitted.
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision, finished_at=timezone.now(), queries=1)
    Finding.objects.create(run=run, ret=ret, rule_code="ROW-010", severity="query", message="Why?", key="q1")
    Return.objects.filter(pk=ret.pk).update(validated_revision=ret.revision)
    explain = reverse("api-return-explanations", args=[ret.pk])
    unknown = msp.put(explain, {"explanations": [{"key": "nope", "text": "x"}]}, content_type="application/json")
    assert unknown.status_code == 400 and "not on this return" in unknown.content.decode()
    done = msp.put(
        explain, {"explanations": [{"key": "q1", "text": "Agreed for court work"}]}, content_type="application/json"
    )
    assert done.status_code == 200 and QueryExplanation.objects.get(ret=ret, key="q1").text == "Agreed for court work"
    submitted = msp.post(reverse("api-return-submit", args=[ret.pk]))
    assert submitted.status_code == 200, submitted.content
    # Another borough's users cannot touch it.
    other = client_for(world.other.users[Role.MSP_USER])
    assert other.put(url, body, content_type="application/json").status_code == 404
