"""The leavers register: boroughs report their permanent leavers in the return (page, API, spreadsheet), and
the check finds, by registration number, agency starts anywhere in the region within a cool-off, without
telling the hiring borough which borough the worker left; the region's analysts see it. Leavers are kept
only for the window and never carried forward.

The world: the own side's region has two boroughs, ``borough`` (its own users' return) and ``msp_borough``
(its MSP's); the other side is another region. The period is July to September 2026, so leaving dates from
1 January 2026 (6 months before) to 30 September 2026 may be reported.
"""

import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from rates.models import RoleCategory
from returns import services
from returns.leavers import kept_since
from returns.models import Leaver, ReportingUnit, Return, ValidationRun
from returns.tasks import purge_expired_leavers
from returns.validation import load_context, run_validation

from .helpers import add_row, draft_return, open_period, unit_of

START = date(2026, 5, 4)


def social_worker():
    return RoleCategory.objects.get(code="social-worker")


def leave(ret: Return, user, number: str, left: date, **values) -> Leaver:
    ret.refresh_from_db()
    return services.add_leaver(
        ret=ret,
        by=user,
        expected_revision=ret.revision,
        values={"registration_number": number, "leaving_date": left, "role": social_worker(), **values},
    )


def validate(ret: Return):
    ret.refresh_from_db()
    run = ValidationRun.objects.create(ret=ret, revision=ret.revision)
    run_validation(run)
    return list(run.findings.all())


def found(ret: Return, *codes: str):
    return [f for f in validate(ret) if f.rule_code in codes]


@pytest.fixture
def hiring(world):
    """The own borough's draft return: the borough that hires agency workers in these tests."""
    return draft_return(world.own)


@pytest.fixture
def leaving(world, hiring):
    """The MSP borough's draft return for the same period: the other borough of the region, that workers leave."""
    unit = ReportingUnit.objects.get(boroughs=world.own.msp_borough)
    return services.start_return(unit=unit, period=hiring.period, by=world.own.users[Role.MSP_USER])


def msp(world):
    return world.own.users[Role.MSP_USER]


def submitter(world):
    return world.own.users[Role.BOROUGH_SUBMITTER]


# --- Model and service --------------------------------------------------------------------------------


def test_a_leaver_is_stored_minimised_with_the_number_normalised(world, leaving):
    leaver = leave(leaving, msp(world), "\u00a0sw 100\u200b200 ", date(2026, 8, 1))
    assert leaver.registration_number == "SW100200"
    assert leaver.borough == world.own.msp_borough  # a unit of one borough is not asked which
    assert [f.name for f in Leaver._meta.concrete_fields] == [
        "id",
        "ret",
        "borough",
        "registration_number",
        "leaving_date",
        "role",
    ]
    event = AuditEvent.objects.get(action="return.leaver_added")
    assert "SW100200" not in json.dumps(event.detail)  # the log outlives the register


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"registration_number": "AB123"}, "is not a Social Work England registration number"),
        ({"leaving_date": date(2026, 10, 1)}, "enter a leaving date between 1 January 2026 and 30 September 2026"),
        ({"leaving_date": date(2025, 12, 31)}, "enter a leaving date between 1 January 2026"),
        ({"leaving_date": None}, "Enter the date SW5 left"),
        ({"role": None}, "choose the core role"),
    ],
)
def test_a_leaver_the_rules_refuse_is_not_stored(world, leaving, values, message):
    with pytest.raises(services.ReturnError, match=message):
        leave(leaving, msp(world), **{"number": "SW5", "left": date(2026, 8, 1)} | _renamed(values))
    assert not Leaver.objects.exists()
    leaving.refresh_from_db()
    assert leaving.revision == 1  # refused whole: the revision did not move either


def _renamed(values: dict) -> dict:
    names = {"registration_number": "number", "leaving_date": "left"}
    return {names.get(k, k): v for k, v in values.items()}


def test_a_leaver_of_another_unit_s_borough_or_twice_is_refused(world, leaving):
    with pytest.raises(services.ReturnError, match="is not part of"):
        leave(leaving, msp(world), "SW5", date(2026, 8, 1), borough=world.own.borough)
    leave(leaving, msp(world), "SW5", date(2026, 8, 1))
    with pytest.raises(services.ReturnError, match="already on this return's leavers"):
        leave(leaving, msp(world), "sw5", date(2026, 8, 2))
    assert leaving.leavers.count() == 1


def test_a_change_on_an_older_revision_is_refused(world, leaving):
    stale = leaving.revision
    leave(leaving, msp(world), "SW5", date(2026, 8, 1))
    with pytest.raises(services.StaleRevision):
        services.add_leaver(
            ret=leaving,
            by=msp(world),
            expected_revision=stale,
            values={"registration_number": "SW6", "leaving_date": date(2026, 8, 1), "role": social_worker()},
        )
    assert list(leaving.leavers.values_list("registration_number", flat=True)) == ["SW5"]


def test_only_the_return_s_makers_may_change_its_leavers(world, leaving):
    with pytest.raises(services.ReturnError):
        leave(leaving, submitter(world), "SW5", date(2026, 8, 1))  # another borough's user
    with pytest.raises(services.ReturnError):
        leave(leaving, world.own.users[Role.REGIONAL_ANALYST], "SW5", date(2026, 8, 1))
    assert not Leaver.objects.exists()


def test_leavers_are_not_carried_forward(world):
    side = world.own
    earlier = draft_return(side, period=open_period(side, starts_on=date(2026, 4, 1)))
    leave(earlier, submitter(world), "SW5", date(2026, 5, 1))
    later = services.start_return(unit=unit_of(side), period=open_period(side), by=submitter(world))
    assert later.pk != earlier.pk and not later.leavers.exists()
    assert earlier.leavers.count() == 1


# --- The check ----------------------------------------------------------------------------------------


def test_a_start_within_the_pledge_window_after_leaving_another_borough_is_found(world, hiring, leaving):
    leave(leaving, msp(world), "SW100200", date(2026, 1, 10))  # under 4 months before the start
    add_row(hiring, world.own, start_date=START)  # nothing declared about the previous employer
    (finding,) = found(hiring, "COOL-004", "COOL-005", "COOL-001", "COOL-003")
    assert finding.rule_code == "COOL-004" and finding.position == 1
    assert "10 January 2026" in finding.message  # the leaving date
    assert "London Pledge's 6-month cool-off" in finding.message
    assert world.own.msp_borough.name not in finding.message  # never which borough
    assert "own borough" not in finding.message


def test_the_own_borough_s_leaver_is_found_within_the_dfe_window_only(world, hiring):
    leave(hiring, submitter(world), "SW1", date(2026, 3, 1))  # 2 months before: within DfE's 3
    leave(hiring, submitter(world), "SW2", date(2026, 1, 10))  # 4 months before: past DfE's, within the Pledge's
    add_row(hiring, world.own, registration_number="SW1", start_date=START)
    add_row(hiring, world.own, registration_number="SW2", start_date=START)
    findings = found(hiring, "COOL-004", "COOL-005")
    assert [(f.rule_code, f.position) for f in findings] == [("COOL-005", 1)]
    assert "Your own borough" in findings[0].message and "1 March 2026" in findings[0].message
    assert "DfE's 3-month cool-off" in findings[0].message


def test_the_same_leaving_from_another_borough_is_found_under_the_pledge(world, hiring, leaving):
    """The contrast with the test above: 4 months after leaving is fine in the own borough, not in another."""
    leave(leaving, msp(world), "SW2", date(2026, 1, 10))
    add_row(hiring, world.own, registration_number="SW2", start_date=START)
    assert [f.rule_code for f in found(hiring, "COOL-004", "COOL-005")] == ["COOL-004"]


@pytest.mark.parametrize(
    ("number", "left", "start"),
    [
        ("SW100200", date(2026, 1, 15), date(2026, 7, 15)),  # 6 months to the day: outside the window
        ("SW100200", date(2026, 1, 15), date(2026, 8, 1)),
        ("SW999", date(2026, 3, 1), START),  # another worker
        ("SW100200", date(2026, 6, 1), START),  # left after the assignment began
    ],
)
def test_what_the_register_must_not_flag(world, hiring, leaving, number, left, start):
    leave(leaving, msp(world), number, left)
    add_row(hiring, world.own, start_date=start)
    assert found(hiring, "COOL-004", "COOL-005") == []


def test_a_leaver_of_another_region_is_not_matched(world, hiring):
    other = draft_return(world.other)
    leave(other, world.other.users[Role.BOROUGH_SUBMITTER], "SW100200", date(2026, 3, 1))
    add_row(hiring, world.own, start_date=START)
    assert found(hiring, "COOL-004", "COOL-005") == []
    # and the other region's own returns do not see the own region's leavers either
    leave(hiring, submitter(world), "SW7", date(2026, 3, 1))
    add_row(other, world.other, registration_number="SW7", start_date=START)
    assert found(other, "COOL-004", "COOL-005") == []


def test_a_leaving_the_row_declares_is_reported_once(world, hiring, leaving):
    leave(leaving, msp(world), "SW100200", date(2026, 3, 1))
    add_row(
        hiring, world.own, start_date=START, previous_employer=world.own.msp_borough, left_previous_on=date(2026, 3, 1)
    )
    assert [f.rule_code for f in found(hiring, "COOL-001", "COOL-004")] == ["COOL-001"]


def test_the_register_is_read_in_one_query_whatever_the_number_of_rows(world, hiring, leaving):
    def register_queries() -> int:
        ret = Return.objects.select_related("period__region", "unit").get(pk=hiring.pk)
        with CaptureQueriesContext(connection) as queries:
            load_context(ret)
        return sum('"returns_leaver"' in q["sql"] for q in queries.captured_queries)

    leave(leaving, msp(world), "SW100", date(2026, 3, 1))
    add_row(hiring, world.own, registration_number="SW100", start_date=START)
    assert register_queries() == 1
    for n in range(1, 30):
        leave(leaving, msp(world), f"SW{100 + n}", date(2026, 3, 1))
        add_row(hiring, world.own, registration_number=f"SW{100 + n}", start_date=START)
    assert register_queries() == 1
    assert len(found(hiring, "COOL-004")) == 30


def test_in_a_joint_return_the_borough_left_decides_the_window(world):
    side = world.own
    unit = ReportingUnit.objects.create(region=side.region, name="Own and MSP boroughs")
    unit.boroughs.add(side.borough, side.msp_borough)
    ret = draft_return(side)
    assert ret.unit == unit
    with pytest.raises(services.ReturnError, match="choose which borough of Own and MSP boroughs they left"):
        leave(ret, submitter(world), "SW1", date(2026, 1, 10))
    leave(ret, submitter(world), "SW1", date(2026, 1, 10), borough=side.msp_borough)  # 4 months before
    leave(ret, submitter(world), "SW2", date(2026, 1, 10), borough=side.borough)
    add_row(ret, side, registration_number="SW1", start_date=START)  # both rows are with side.borough
    add_row(ret, side, registration_number="SW2", start_date=START)
    findings = found(ret, "COOL-004", "COOL-005")
    assert [(f.rule_code, f.position) for f in findings] == [("COOL-004", 1)]  # the other borough: the Pledge's


# --- Who sees which borough ---------------------------------------------------------------------------


def test_the_hiring_borough_never_sees_which_borough_the_worker_left(world, hiring, leaving, client_for):
    leave(leaving, msp(world), "SW100200", date(2026, 3, 1))
    add_row(hiring, world.own, start_date=START)
    validate(hiring)
    client = client_for(submitter(world))
    page = client.get(reverse("returns:findings", args=[hiring.pk]))
    assert page.status_code == 200 and "COOL-004" in page.content.decode()
    assert world.own.msp_borough.name not in page.content.decode()
    api = client.get(reverse("api-return-findings", args=[hiring.pk]))
    assert world.own.msp_borough.name not in api.content.decode()
    assert any(f["rule_code"] == "COOL-004" for f in api.json()["findings"])
    # nor may it read the other borough's leavers, nor the region's list of matches
    assert client.get(reverse("returns:leavers", args=[leaving.pk])).status_code == 404
    assert client.get(reverse("api-return-leavers", args=[leaving.pk])).status_code == 404
    assert client.get(reverse("returns:leaver-matches", args=[hiring.period_id])).status_code == 403


def test_the_region_s_analyst_sees_both_boroughs_and_the_view_is_audited(world, hiring, leaving, client_for):
    leave(leaving, msp(world), "SW100200", date(2026, 3, 1))
    leave(hiring, submitter(world), "SW300", date(2026, 4, 20))
    add_row(hiring, world.own, start_date=START)
    add_row(hiring, world.own, registration_number="SW300", start_date=START)
    add_row(hiring, world.own, registration_number="SW400", start_date=START)  # on no register: not listed
    analyst = world.own.users[Role.REGIONAL_ANALYST]
    page = client_for(analyst).get(reverse("returns:leaver-matches", args=[hiring.period_id]))
    assert page.status_code == 200
    table = page.context["table"]
    assert [(r[0], r[1], r[5]) for r in table.rows] == [
        (world.own.borough.name, 1, world.own.msp_borough.name),
        (world.own.borough.name, 2, f"{world.own.borough.name} (the same borough)"),
    ]
    assert "SW400" not in page.content.decode()
    assert AuditEvent.objects.filter(action="period.leaver_matches_viewed", actor=analyst).count() == 1
    other_analyst = world.other.users[Role.REGIONAL_ANALYST]
    assert client_for(other_analyst).get(page.request["PATH_INFO"]).status_code == 404


# --- The page -----------------------------------------------------------------------------------------


def test_the_page_lists_adds_and_removes_leavers(world, leaving, client_for):
    client = client_for(msp(world))
    url = reverse("returns:leavers", args=[leaving.pk])
    empty = client.get(url)
    assert empty.status_code == 200 and "not carried forward" in empty.content.decode()
    assert AuditEvent.objects.filter(action="return.leavers_viewed").count() == 1
    added = client.post(
        reverse("returns:leaver-add", args=[leaving.pk]),
        {
            "revision": leaving.revision,
            "registration_number": "sw 123",
            "leaving_date": "01/08/2026",
            "role": social_worker().pk,
        },
    )
    assert added.status_code == 302 and added["Location"] == url
    leaver = leaving.leavers.get()
    assert leaver.registration_number == "SW123"
    listed = client.get(url).content.decode()
    assert "SW123" in listed and "1 Aug 2026" in listed
    remove_url = reverse("returns:leaver-remove", args=[leaving.pk, leaver.pk])
    confirm = client.get(remove_url)
    assert confirm.status_code == 200 and "Remove the leaver" in confirm.content.decode()
    leaving.refresh_from_db()
    assert client.post(remove_url, {"revision": leaving.revision}).status_code == 302
    assert not leaving.leavers.exists()
    assert client.post(remove_url, {"revision": leaving.revision + 1}).status_code == 404  # a double submit


def test_the_page_refuses_what_the_rules_refuse_with_an_error_summary(world, leaving, client_for):
    client = client_for(msp(world))
    url = reverse("returns:leaver-add", args=[leaving.pk])
    base = {
        "revision": leaving.revision,
        "registration_number": "SW5",
        "leaving_date": "01/08/2026",
        "role": social_worker().pk,
    }
    for changed, message in [
        ({"registration_number": "X" * 10_000}, "registration number is too long"),
        ({"registration_number": ""}, "Enter the Social Work England registration number"),
        ({"leaving_date": "01/12/2026"}, "enter a leaving date between"),
        ({"role": "999999"}, "Select a valid choice"),
        ({"revision": leaving.revision - 1}, "Someone else changed this return"),
    ]:
        response = client.post(url, base | changed)
        assert response.status_code == 400, changed
        assert message in response.content.decode(), changed
        assert "govuk-error-summary" in response.content.decode()
    assert not leaving.leavers.exists()


def test_a_forged_leaver_id_of_another_return_is_not_found(world, hiring, leaving, client_for):
    theirs = leave(hiring, submitter(world), "SW5", date(2026, 8, 1))
    client = client_for(msp(world))
    url = reverse("returns:leaver-remove", args=[leaving.pk, theirs.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"revision": leaving.revision}).status_code == 404
    assert Leaver.objects.filter(pk=theirs.pk).exists()


# --- The API ------------------------------------------------------------------------------------------


def put_leavers(client, ret, leavers, **body):
    payload = {"revision": ret.revision, "leavers": leavers, **body}
    return client.put(
        reverse("api-return-leavers", args=[ret.pk]), json.dumps(payload), content_type="application/json"
    )


def api_leaver(**overrides):
    return {"registration_number": "SW5", "leaving_date": "2026-08-01", "role": "social-worker", **overrides}


def test_the_api_lists_and_replaces_leavers(world, leaving, client_for):
    client = client_for(msp(world))
    leave(leaving, msp(world), "SW1", date(2026, 7, 1))
    leaving.refresh_from_db()
    response = put_leavers(client, leaving, [api_leaver(), api_leaver(registration_number=" sw6 ")])
    assert response.status_code == 200, response.content
    assert response.json()["leavers"] == 2 and response.json()["removed"] == 1
    listed = client.get(reverse("api-return-leavers", args=[leaving.pk])).json()
    assert [(x["registration_number"], x["borough"]) for x in listed["leavers"]] == [
        ("SW5", world.own.msp_borough.gss_code),
        ("SW6", world.own.msp_borough.gss_code),
    ]
    assert AuditEvent.objects.filter(action="return.leavers_read_by_api").count() == 1


@pytest.mark.parametrize(
    ("leavers", "field"),
    [
        ([api_leaver(registration_number="SW12345678901")], "registration_number"),
        ([api_leaver(registration_number="")], "registration_number"),
        ([api_leaver(leaving_date=None)], "leaving_date"),
        ([api_leaver(role="manager-of-the-universe")], "role"),
        ([api_leaver(borough="E" * 10_000)], "borough"),
    ],
)
def test_the_api_refuses_what_the_form_refuses(world, leaving, client_for, leavers, field):
    response = put_leavers(client_for(msp(world)), leaving, leavers)
    assert response.status_code == 400 and len(response.content) < 1000
    assert field in response.json()["leavers"]["0"]
    assert not leaving.leavers.exists()


def test_the_api_refuses_the_service_s_rules_whole(world, leaving, client_for):
    client = client_for(msp(world))
    out_of_range = put_leavers(
        client, leaving, [api_leaver(registration_number="SW1"), api_leaver(leaving_date="2027-01-01")]
    )
    assert out_of_range.status_code == 400
    assert "enter a leaving date between" in out_of_range.json()["leavers"][0]
    twice = put_leavers(client, leaving, [api_leaver(), api_leaver(registration_number="sw5")])
    assert twice.status_code == 400 and "on two lines" in twice.json()["leavers"][0]
    assert not leaving.leavers.exists()


def test_the_api_bounds_the_list_and_the_revision(world, leaving, client_for):
    client = client_for(msp(world))
    too_many = put_leavers(client, leaving, [api_leaver(registration_number=f"SW{n}") for n in range(1_001)])
    assert too_many.status_code == 400 and "1000" in json.dumps(too_many.json())
    stale = put_leavers(client, leaving, [api_leaver()], revision=leaving.revision - 1)
    assert stale.status_code == 409 and stale.json()["revision"] == leaving.revision
    assert not leaving.leavers.exists()


def test_sending_more_leavers_costs_no_more_queries(world, leaving, client_for):
    client = client_for(msp(world))

    def cost(count: int) -> int:
        leaving.refresh_from_db()
        leavers = [
            api_leaver(registration_number=f"SW{7000 + n}", borough=world.own.msp_borough.gss_code)
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            response = put_leavers(client, leaving, leavers)
        assert response.status_code == 200, response.content
        return len(queries)

    assert cost(3) == cost(60)
    assert leaving.leavers.count() == 60


def test_the_api_description_states_the_leavers_limits(world, client_for):
    schema = client_for(msp(world)).get(reverse("api-schema"), {"format": "json"}).json()
    fields = schema["components"]["schemas"]
    assert fields["LeaversIn"]["properties"]["leavers"]["maxItems"] == 1_000
    assert fields["Leaver"]["properties"]["registration_number"]["maxLength"] == 50
    path = schema["paths"]["/api/v1/returns/{id}/leavers/"]
    assert set(path) >= {"get", "put"} and "not carried forward" in path["get"]["description"]


def test_the_api_put_is_for_the_return_s_makers(world, hiring, leaving, client_for):
    analyst = client_for(world.own.users[Role.REGIONAL_ANALYST])
    assert analyst.get(reverse("api-return-leavers", args=[leaving.pk])).status_code == 200  # the region reads
    assert put_leavers(analyst, leaving, [api_leaver()]).status_code == 403
    other_borough = client_for(submitter(world))
    assert put_leavers(other_borough, leaving, [api_leaver()]).status_code == 404
    assert not leaving.leavers.exists()


# --- Keeping leavers only for the window -------------------------------------------------------------


def test_kept_since_is_the_longest_window_plus_the_margin(world, settings):
    settings.LEAVERS_KEPT_AFTER_WINDOW_DAYS = 120
    assert kept_since(date(2027, 1, 31)) == date(2026, 7, 31) - timedelta(days=120)  # no period: 6 months
    period = open_period(world.own)
    period.cool_off_months = 9
    period.save(update_fields=["cool_off_months"])
    assert kept_since(date(2027, 1, 31)) == date(2026, 4, 30) - timedelta(days=120)


def test_the_purge_deletes_only_leavers_past_the_window(world, hiring):
    cutoff = kept_since(timezone.localdate())
    old = Leaver.objects.create(
        ret=hiring,
        borough=world.own.borough,
        registration_number="SW1",
        leaving_date=cutoff - timedelta(days=1),
        role=social_worker(),
    )
    kept = Leaver.objects.create(
        ret=hiring, borough=world.own.borough, registration_number="SW2", leaving_date=cutoff, role=social_worker()
    )
    assert purge_expired_leavers() == 1
    assert purge_expired_leavers() == 0  # safe to run twice
    assert not Leaver.objects.filter(pk=old.pk).exists() and Leaver.objects.filter(pk=kept.pk).exists()


def test_the_purge_is_on_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "returns.tasks.purge_expired_leavers" in tasks


# --- The spreadsheet template ---------------------------------------------------------------------------


def _book(ret: Return, change=None) -> bytes:
    import io

    from returns import spreadsheets

    from .test_spreadsheets import open_book

    workbook = open_book(spreadsheets.template_workbook(ret))
    if change is not None:
        change(workbook["Leavers"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(ret: Return, by, content: bytes) -> dict:
    from returns import spreadsheets

    from .test_spreadsheets import upload

    ret.refresh_from_db()
    return spreadsheets.import_upload(
        ret=ret, by=by, uploaded_file=upload(content), mode="merge", expected_revision=ret.revision
    )


def test_the_template_s_leavers_sheet_round_trips(world, leaving):
    leave(leaving, msp(world), "SW5", date(2026, 8, 1))
    leaving.refresh_from_db()
    content = _book(leaving)
    from .test_spreadsheets import open_book

    sheet = open_book(content)["Leavers"]
    assert [c.value for c in sheet[1]] == ["Registration number", "Leaving date", "Role", "Borough"]
    assert [sheet.cell(row=2, column=n).value for n in (1, 3, 4)] == [
        "SW5",
        "social-worker",
        world.own.msp_borough.gss_code,
    ]
    assert sheet.cell(row=2, column=2).value.date() == date(2026, 8, 1)

    counts = _upload(leaving, msp(world), content)  # downloaded and uploaded as it is: nothing changes
    assert counts["leavers"] == 1
    assert list(leaving.leavers.values_list("registration_number", "leaving_date")) == [("SW5", date(2026, 8, 1))]

    def add_and_drop(ws):
        ws.cell(row=2, column=1, value="sw 6")  # SW5 is replaced by SW6 ...
        ws.cell(row=3, column=1, value="SW7")  # ... and SW7 added, its date typed as text, its role by name
        ws.cell(row=3, column=2, value="15/09/2026")
        ws.cell(row=3, column=3, value="Team manager")

    counts = _upload(leaving, msp(world), _book(leaving, add_and_drop))
    assert counts["leavers"] == 2
    assert sorted(leaving.leavers.values_list("registration_number", "leaving_date", "role__code")) == [
        ("SW6", date(2026, 8, 1), "social-worker"),
        ("SW7", date(2026, 9, 15), "team-manager"),
    ]


def test_a_workbook_without_the_leavers_sheet_leaves_them_alone(world, leaving):
    import io

    from returns import spreadsheets

    from .test_spreadsheets import open_book

    leave(leaving, msp(world), "SW5", date(2026, 8, 1))
    leaving.refresh_from_db()
    workbook = open_book(spreadsheets.template_workbook(leaving))
    del workbook["Leavers"]
    buffer = io.BytesIO()
    workbook.save(buffer)
    counts = _upload(leaving, msp(world), buffer.getvalue())
    assert counts["leavers"] is None and leaving.leavers.count() == 1


def test_the_leavers_sheet_refuses_what_the_page_refuses_by_cell(world, leaving):
    from returns import spreadsheets

    def wrong(ws):
        rows = [
            ("SW1", "01/08/2026", "wizard"),  # not a core role
            ("AB1", "01/08/2026", "social-worker"),  # not a registration number
            ("SW2", "01/12/2026", "social-worker"),  # after the quarter
            ("SW3", "not a date", "social-worker"),
            ("SW4", "01/08/2026", "social-worker"),
            ("sw4", "02/08/2026", "social-worker"),  # the same worker twice
        ]
        for number, values in enumerate(rows, start=2):
            for column, value in enumerate(values, start=1):
                ws.cell(row=number, column=column, value=value)
        ws.cell(row=7, column=4, value="E99999999")  # not a borough of the return

    with pytest.raises(spreadsheets.UploadRejected) as refused:
        _upload(leaving, msp(world), _book(leaving, wrong))
    problems = " | ".join(refused.value.problems)
    for expected in (
        "Leavers!C2: ‘wizard’ is not a core role",
        "Leavers!A3:",
        "Leavers!A4: SW2: enter a leaving date between",
        "Leavers!B5: Enter a real date",
        "Leavers!D7: ‘E99999999’ is not a borough of this return",
    ):
        assert expected in problems, problems
    assert not leaving.leavers.exists()

    def twice(ws):
        for number, value in ((2, "SW4"), (3, "sw4")):
            ws.cell(row=number, column=1, value=value)
            ws.cell(row=number, column=2, value="01/08/2026")
            ws.cell(row=number, column=3, value="social-worker")

    with pytest.raises(spreadsheets.UploadRejected) as refused:
        _upload(leaving, msp(world), _book(leaving, twice))
    assert "Leavers!A3: SW4 is also on row 2" in refused.value.problems[0]


def test_reading_more_leaver_lines_costs_no_more_queries(world, leaving):
    from returns import spreadsheets

    from .test_spreadsheets import upload

    def cost(count: int) -> int:
        def fill(ws):
            for n in range(count):
                ws.cell(row=n + 2, column=1, value=f"SW{7000 + n}")
                ws.cell(row=n + 2, column=2, value="01/08/2026")
                ws.cell(row=n + 2, column=3, value="social-worker")

        content = _book(leaving, fill)
        with CaptureQueriesContext(connection) as queries:
            _rows, sections = spreadsheets.read_upload(leaving, upload(content))
        assert len(sections.leavers) == count
        return len(queries)

    assert cost(3) == cost(60)
