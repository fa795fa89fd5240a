"""A draft rate card's impact before publication: live assignments that would become breaches and breaches
that would end, grouped by borough, role and agency with £ a month; computed by a background job that a
double click starts once; stale once the draft changes. And what must not be counted."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboards.figures.scope import card_cap_sql
from pledge_portal.accounts.roles import Role
from pledge_portal.jobs.models import TaskRun
from rates import impact
from rates import services as rate_services
from rates.models import RateCard, RoleCategory
from rates.selectors import check_rate
from rates.table import rate_table
from returns.models import Assignment
from tests.returns.helpers import add_row, draft_return

from .helpers import CAPS

TODAY = date(2026, 10, 15)


def _draft(side, caps: dict, *, effective_from=date(2027, 4, 1)) -> RateCard:
    """A draft of the side's region: the test caps, with ``caps`` overriding some roles."""
    analyst = side.users[Role.REGIONAL_ANALYST]
    card = rate_services.create_draft(
        region=side.region, by=analyst, title="Next year", effective_from=effective_from, evidence_note="Proposed"
    )
    lines = {code: (Decimal(a), Decimal(b)) for code, (a, b) in {**CAPS, **caps}.items()}
    return rate_services.update_draft(card=card, by=analyst, lines=lines)


@pytest.fixture
def data(world):
    """Own region's caps now (from helpers.CAPS): social worker £36.40 umbrella / £31.85 PAYE; senior social
    worker £39.00. The draft: social worker £34.00 / £33.00; senior social worker £40.00."""
    side = world.own
    ret = draft_return(side)

    def row(number, rate, **more):
        return add_row(ret, side, registration_number=number, **{"hourly_pay_rate": Decimal(rate), **more})

    row("SW100001", "35.00")  # new breach: £1.00 over the draft's £34.00
    row("SW100008", "34.50")  # new breach, same group: £0.50 over
    row("SW100007", "35.00", agency_name="Elsewhere Staffing")  # new breach, another agency
    senior = RoleCategory.objects.get(code="senior-social-worker")
    row("SW100002", "39.50", role=senior)  # breach now (£39.00) that ends under the draft's £40.00
    row("SW100006", "32.00", engagement_type="paye")  # PAYE breach now (£31.85) that ends (draft £33.00)
    row("SW100003", "30.00")  # under both caps: nowhere
    row("SW100004", "37.00")  # over both: counted as continuing, not listed
    row("SW100005", "35.50", end_date=date(2026, 8, 31))  # ended before today: not live
    row("SW100009", "35.20", end_date=date(2026, 11, 30))  # ends after today: live, a new breach
    row("SW100010", "35.00", hourly_pay_rate=None)  # nothing to judge
    # The other region: a row that would be a new breach under a draft there must not appear here.
    other = draft_return(world.other)
    add_row(other, world.other, registration_number="SW200001", hourly_pay_rate=Decimal("35.00"))
    card = _draft(side, {"social-worker": ("34.00", "33.00"), "senior-social-worker": ("40.00", "35.00")})
    return side, ret, card


def test_new_and_ended_breaches_are_grouped_with_pounds_a_month(data):
    side, _, card = data
    result = impact.compute_impact(card=card, today=TODAY)
    assert result["hours_per_month"] == "160.33"  # 37 hours × 52 ÷ 12
    assert (result["live"], result["judged"]) == (9, 8)  # the ended row is out; one has no pay rate
    assert (result["new"], result["ended"], result["still_over"]) == (4, 2, 1)
    borough, agency = side.borough.name, side.agency.name
    assert result["new_groups"] == [
        [borough, "Social worker", agency, 3, "432.90"],  # (1.00 + 0.50 + 1.20) × 160.333
        [borough, "Social worker", "Elsewhere Staffing", 1, "160.33"],
    ]
    assert sorted(result["ended_groups"]) == [
        [borough, "Senior social worker", agency, 1, "80.17"],  # 0.50 over £39.00 now
        [borough, "Social worker", agency, 1, "24.05"],  # 0.15 over the PAYE £31.85 now
    ]
    assert result["new_monthly"] == "593.23" and result["ended_monthly"] == "104.22"
    listed = {g[1] for g in result["new_groups"] + result["ended_groups"]}
    assert listed == {"Social worker", "Senior social worker"}
    assert result["coverage"] == [{"quarter_starts": "2026-07-01", "units": 1}]


def test_nothing_is_listed_when_the_draft_keeps_the_caps(data, world):
    side, _, _ = data
    same = _draft(side, {})
    result = impact.compute_impact(card=same, today=TODAY)
    assert result["new"] == result["ended"] == 0 and result["new_groups"] == result["ended_groups"] == []
    assert result["still_over"] == 3  # the breaches now stay breaches


def test_only_the_latest_return_of_each_unit_counts(data, world):
    side, ret, card = data
    from returns.models import Return

    # An earlier quarter's return of the same unit, with a row that would be a new breach: superseded.
    earlier = Return.objects.create(unit=ret.unit, period=_earlier_period(side), created_by=ret.created_by)
    Assignment.objects.create(
        ret=earlier,
        position=1,
        borough=side.borough,
        registration_number="SW300001",
        role=RoleCategory.objects.get(code="social-worker"),
        engagement_type="umbrella",
        start_date=date(2026, 1, 5),
        hourly_pay_rate=Decimal("35.90"),
    )
    assert impact.compute_impact(card=card, today=TODAY)["new"] == 4


def _earlier_period(side):
    from returns.models import ReportingPeriod

    return ReportingPeriod.objects.create(
        region=side.region,
        starts_on=date(2026, 4, 1),
        ends_on=date(2026, 6, 30),
        opens_on=date(2026, 7, 1),
        deadline=date(2026, 7, 31),
        locks_on=date(2026, 8, 31),
        opened_by=side.users[Role.REGIONAL_ANALYST],
    )


def test_the_draft_cap_follows_the_rate_checks_rule_for_every_row(data):
    """The SQL cap of a card's lines is the cap ``check_rate`` gives, row by row, including a local role with a
    line of its own and one that uses its core role's."""
    side, ret, _ = data
    analyst = side.users[Role.REGIONAL_ANALYST]
    own_line = rate_services.create_local_role(
        region=side.region, by=analyst, code="principal-sw", name="Principal SW", core_code="advanced-practitioner"
    )
    uses_core = rate_services.create_local_role(
        region=side.region, by=analyst, code="practice-lead", name="Practice lead", core_code="team-manager"
    )
    lines = {code: (Decimal(a), Decimal(b)) for code, (a, b) in CAPS.items()}
    card = rate_services.create_draft(
        region=side.region, by=analyst, title="Local", effective_from=date(2026, 9, 1), evidence_note="Proposed"
    )
    rate_services.update_draft(
        card=card, by=analyst, lines={**lines, "principal-sw": (Decimal("43.10"), Decimal("38.00"))}
    )
    for local in (own_line, uses_core):
        for engagement in ("paye", "limited-company"):
            add_row(
                ret,
                side,
                registration_number=f"SW4{local.pk:03}{len(engagement)}",
                role=None,
                local_role=local,
                engagement_type=engagement,
                start_date=date(2026, 9, 7),
            )
    rate_services.publish(card=card, by=analyst)
    entry = rate_table().card_on(side.region.pk, date(2026, 9, 7))
    rows = ret.assignments.filter(start_date=date(2026, 9, 7)).annotate(cap=card_cap_sql(entry.lines))
    assert rows.count() == 4
    for row in rows.select_related("local_role"):
        expected = check_rate(
            role=row.local_role.code,
            engagement_type=row.engagement_type,
            on=row.start_date,
            hourly_rate=row.hourly_pay_rate,
            region=side.region,
        ).cap
        assert row.cap == expected, row.local_role.code
    assert {row.cap for row in rows} == {Decimal("43.10"), Decimal("38.00"), Decimal("45.75"), Decimal("40.00")}


def test_a_double_click_starts_one_job_and_the_result_is_shown(data, client_for, django_capture_on_commit_callbacks):
    side, _, card = data
    analyst = side.users[Role.REGIONAL_ANALYST]
    client = client_for(analyst)
    url = reverse("rates:card-impact", args=[card.pk])
    first, reused = impact.request_impact(card=card, by=analyst)  # queued, not yet run (nothing committed)
    assert not reused
    again, reused = impact.request_impact(card=card, by=analyst)
    assert (again, reused) == (first, True)
    page = client.get(url)
    assert "Working out the impact" in page.content.decode()
    TaskRun.objects.filter(pk=first.pk).delete()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
        client.post(url)
    runs = TaskRun.objects.filter(kind=impact.KIND)
    assert runs.count() == 1 and runs.get().status == TaskRun.Status.SUCCEEDED
    text = client.get(url).content.decode()
    for shown in ("Would become breaches", "Breaches that would end", "Elsewhere Staffing", "£160.33", "160.33 hours"):
        assert shown in text
    assert "SW100001" not in text  # groups, not workers
    detail = client.get(reverse("rates:card-detail", args=[card.pk])).content.decode()
    assert "Impact if published" in detail and "See the impact by borough, role and agency" in detail


def test_a_changed_draft_marks_the_result_stale_and_offers_to_work_it_out_again(
    data, client_for, django_capture_on_commit_callbacks
):
    side, _, card = data
    analyst = side.users[Role.REGIONAL_ANALYST]
    with django_capture_on_commit_callbacks(execute=True):
        impact.request_impact(card=card, by=analyst)
    url = reverse("rates:card-impact", args=[card.pk])
    assert "out of date" not in client_for(analyst).get(url).content.decode()
    lines = {ln.role_code: (ln.inclusive_cap, ln.paye_cap) for ln in card.lines.select_related("role", "local_role")}
    rate_services.update_draft(card=card, by=analyst, lines={**lines, "team-manager": (Decimal("50"), Decimal("44"))})
    text = client_for(analyst).get(url).content.decode()
    assert "out of date" in text and "Work out the impact again" in text
    with django_capture_on_commit_callbacks(execute=True):
        _, reused = impact.request_impact(card=card, by=analyst)
    assert not reused and TaskRun.objects.filter(kind=impact.KIND).count() == 2
    assert "out of date" not in client_for(analyst).get(url).content.decode()


def test_only_the_regions_analysts_may_and_only_on_a_draft(data, world, client_for):
    side, _, card = data
    other_analyst = world.other.users[Role.REGIONAL_ANALYST]
    assert client_for(other_analyst).post(reverse("rates:card-impact", args=[card.pk])).status_code == 404
    submitter = side.users[Role.BOROUGH_SUBMITTER]
    assert client_for(submitter).post(reverse("rates:card-impact", args=[card.pk])).status_code == 403
    with pytest.raises(impact.ImpactError):
        impact.request_impact(card=card, by=other_analyst)
    rate_services.publish(card=card, by=side.users[Role.REGIONAL_ANALYST])
    with pytest.raises(impact.ImpactError, match="published"):
        impact.request_impact(card=card, by=side.users[Role.REGIONAL_ANALYST])
    assert not TaskRun.objects.filter(kind=impact.KIND).exists()


def test_the_query_count_does_not_grow_with_the_rows(data, django_assert_num_queries, django_assert_max_num_queries):
    side, ret, card = data
    impact.compute_impact(card=card, today=TODAY)  # the rate table, read once in a process
    with django_assert_max_num_queries(15) as few:
        impact.compute_impact(card=card, today=TODAY)
    for number in range(10):
        add_row(ret, side, registration_number=f"SW5000{number:02}", agency_name=f"Agency {number}")
    with django_assert_num_queries(len(few.captured_queries)):
        impact.compute_impact(card=card, today=TODAY)
