"""The dashboards' figures, each worked out by hand on a small dataset (tests/dashboards/dashboard_data.py)."""

import statistics
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from dashboards import figures
from dashboards.figures import Scope
from pledge_portal.accounts.roles import Role
from rates.models import LocalRole
from references.models import ReferenceRequest
from returns.models import Return
from tests.dashboards.dashboard_data import (
    Q1,
    Q2,
    Row,
    accepted_return,
    flag,
    more_boroughs,
    reference_request,
    region_with_card,
    role,
    unit,
)
from tests.factories import AgencyFactory, SubRegionFactory


def test_suppressed_hides_counts_from_one_to_four():
    assert [figures.suppressed(n) for n in (None, 0, 1, 4, 5, 12)] == [
        "no figure",
        "0",
        "fewer than 5",
        "fewer than 5",
        "5",
        "12",
    ]


def test_quarter_labels_follow_the_financial_year():
    assert [figures.quarter_label(date(2026, m, 1)) for m in (1, 4, 7, 10)] == [
        "2025-26 Q4",
        "2026-27 Q1",
        "2026-27 Q2",
        "2026-27 Q3",
    ]


def test_quarter_arithmetic():
    assert figures.quarter_start(date(2026, 8, 17)) == date(2026, 7, 1)
    assert figures.quarter_start(date(2027, 3, 31)) == date(2027, 1, 1)
    assert figures.shift_quarters(date(2026, 1, 1), -4) == date(2025, 1, 1)
    assert figures.shift_quarters(date(2026, 10, 1), 1) == date(2027, 1, 1)
    assert figures.shift_quarters(date(2026, 4, 1), -1) == date(2026, 1, 1)


def test_agency_share_is_agency_fte_over_all_fte_summed_over_quarters(world):
    side = region_with_card(world.own)
    accepted_return(side, side.borough, Q1, [], workforce={"social-worker": ("3", "27"), "team-manager": ("1", "4")})
    accepted_return(side, side.borough, Q2, [], workforce={"social-worker": ("5", "15")})
    accepted_return(side, side.msp_borough, Q2, [], workforce={"social-worker": ("2", "8")})
    # Not accepted, so not counted.
    accepted_return(
        side, side.msp_borough, Q1, [], workforce={"social-worker": ("50", "1")}, status=Return.Status.SUBMITTED
    )
    scope = Scope(Q1, Q2, region=side.region)

    by_unit = {
        line.label: (line.agency_fte, line.permanent_fte, line.share) for line in figures.agency_share_by_unit(scope)
    }
    assert by_unit == {
        unit(side.borough).name: (Decimal(9), Decimal(46), Decimal("16.4")),  # 9 / 55
        unit(side.msp_borough).name: (Decimal(2), Decimal(8), Decimal("20.0")),
    }
    over_time = [(line.label, line.share) for line in figures.agency_share_over_time(scope)]
    assert over_time == [("2026-27 Q1", Decimal("11.4")), ("2026-27 Q2", Decimal("23.3"))]  # 4 / 35, 7 / 30

    social_workers = Scope(Q1, Q2, region=side.region, role=role("social-worker"))
    shares = {line.label: line.share for line in figures.agency_share_by_unit(social_workers)}
    assert shares[unit(side.borough).name] == Decimal("16.0")  # 8 / 50


def test_pay_quartiles_per_role_and_basis_with_the_cap(world):
    side = world.own
    lead = LocalRole.objects.create(
        region=side.region, code="practice-lead", name="Practice lead", core=role("team-manager")
    )
    region_with_card(side, caps={"practice-lead": ("42.00", "38.00")})
    rows = [Row("30.00"), Row("32.00"), Row("34.00"), Row("40.00"), Row("33.00", engagement="paye")]
    accepted_return(side, side.borough, Q2, [*rows, Row("44.00", local_role=lead, role="social-worker")])

    lines = {(line.role, line.basis): line for line in figures.pay_rates_by_role(Scope(Q1, Q2, region=side.region))}

    social = lines[(role("social-worker").name, "inclusive")]
    expected = [
        Decimal(str(q)).quantize(Decimal("0.01"))
        for q in statistics.quantiles([30, 32, 34, 40], n=4, method="inclusive")
    ]
    assert (
        [social.lower_quartile, social.median, social.upper_quartile]
        == expected
        == [
            Decimal("31.50"),
            Decimal("33.00"),
            Decimal("35.50"),
        ]
    )
    assert (social.rows, social.cap) == (4, Decimal("36.40"))
    paye = lines[(role("social-worker").name, "paye")]
    assert (paye.rows, paye.median, paye.cap) == (1, Decimal("33.00"), Decimal("31.85"))
    # The local role's row counts under its core type, team manager, whatever its own role column says.
    manager = lines[(role("team-manager").name, "inclusive")]
    assert (manager.rows, manager.median, manager.cap) == (1, Decimal("44.00"), Decimal("45.75"))
    assert set(lines) == {
        (role("social-worker").name, "inclusive"),
        (role("social-worker").name, "paye"),
        (role("team-manager").name, "inclusive"),
    }


def test_breaches_use_the_cap_check_rate_would_give(world):
    side = world.own
    lead = LocalRole.objects.create(
        region=side.region, code="practice-lead", name="Practice lead", core=role("team-manager")
    )
    region_with_card(side, caps={"practice-lead": ("42.00", "38.00")})
    accepted_return(
        side,
        side.borough,
        Q2,
        [
            Row("40.00"),  # over the social worker cap of 36.40
            Row("33.00", engagement="paye", signed_off=True),  # over the PAYE cap of 31.85, signed off
            Row("36.40"),  # at the cap: not over
            Row("44.00", role="team-manager", local_role=lead),  # over its local cap of 42.00 (core cap 45.75)
            Row("60.00", start=date(2026, 3, 1)),  # started before any card: no cap
        ],
    )
    accepted_return(side, side.msp_borough, Q2, [Row("50.00", signed_off=True)])
    accepted_return(side, side.borough, Q1, [Row("37.00", start=date(2026, 4, 6))])

    scope = Scope(Q1, Q2, region=side.region)
    by_borough = {
        line.label: (line.rows, line.breaches, line.signed_off, line.without_sign_off)
        for line in figures.breaches_by_borough(scope)
    }
    assert by_borough == {side.borough.name: (6, 4, 1, 3), side.msp_borough.name: (1, 1, 1, 0)}
    over_time = [(line.label, line.rows, line.breaches, line.signed_off) for line in figures.breaches_over_time(scope)]
    assert over_time == [("2026-27 Q1", 1, 1, 0), ("2026-27 Q2", 6, 4, 2)]
    only_q1 = Scope(Q1, Q1, region=side.region)
    assert [(b.label, b.breaches) for b in figures.breaches_by_borough(only_q1)] == [(side.borough.name, 1)]


def test_breaches_across_regions_use_each_regions_card(world):
    own = region_with_card(world.own)
    other = region_with_card(world.other, caps={"social-worker": ("30.00", "25.00")})
    accepted_return(own, own.borough, Q2, [Row("33.00")])
    accepted_return(other, other.borough, Q2, [Row("33.00", agency=own.agency), Row("29.00", agency=own.agency)])

    lines = figures.agency_by_borough(Scope(Q1, Q2, agency=own.agency))

    # Ordered by region ("Other region" before "Own region"), then borough.
    assert [(line.borough, line.rows, line.breaches) for line in lines] == [
        (other.borough.name, 2, 1),  # 33.00 is over the other region's cap of 30.00
        (own.borough.name, 1, 0),  # and under its own region's 36.40
    ]


def test_flags_come_from_the_latest_finished_check_and_count_each_row_once(world):
    side = region_with_card(world.own)
    built = accepted_return(side, side.borough, Q2, [Row("30.00"), Row("31.00"), Row("32.00"), Row("33.00")])
    earlier = timezone.now() - timedelta(days=2)
    flag(built, [(3, "PQE-001"), (3, "COOL-001")], finished=earlier)  # superseded
    flag(built, [(0, "COOL-001"), (0, "COOL-002"), (1, "PQE-001"), (2, "DUP-001"), (2, "CROSS-001"), (1, "RATE-001")])
    draft = accepted_return(side, side.msp_borough, Q2, [Row("30.00")], status=Return.Status.DRAFT)
    flag(draft, [(0, "PQE-001")])

    lines = figures.flags_by_borough(Scope(Q1, Q2, region=side.region))

    assert [(line.label, line.cool_off, line.low_pqe, line.overlap) for line in lines] == [(side.borough.name, 1, 1, 1)]


def test_monthly_spend_sums_the_months_returns_reported(world):
    side = region_with_card(world.own)
    accepted_return(side, side.borough, Q2, [], spend=("1000.00", "2000.00", None))
    accepted_return(side, side.msp_borough, Q2, [], spend=("500.50", None, None))
    accepted_return(side, side.borough, Q1, [], spend=("10.00", "20.00", "30.00"), status=Return.Status.RETURNED)

    lines = [
        (line.label, line.spend, line.returns) for line in figures.monthly_spend(Scope(Q1, Q2, region=side.region))
    ]

    assert lines == [("Jul 2026", Decimal("1500.50"), 2), ("Aug 2026", Decimal("2000.00"), 1)]


def test_agencies_ranked_by_rows_with_breaches_and_reference_turnaround(world):
    side = region_with_card(world.own)
    busy = AgencyFactory(name="Busy Agency")
    accepted_return(side, side.borough, Q2, [Row("40.00"), Row("30.00"), Row("30.00", agency=busy)])
    accepted_return(
        side,
        side.msp_borough,
        Q2,
        [Row("30.00", agency=busy), Row("31.00", agency=busy), Row("45.00", agency=busy, signed_off=True)],
    )
    # Monday 6 July to Wednesday 8 July: 2 working days; Friday 10 July to Monday 20 July: 6; the median is 4.
    reference_request(side, side.borough, asked=date(2026, 7, 6), answered=date(2026, 7, 8))
    reference_request(side, side.borough, asked=date(2026, 7, 10), answered=date(2026, 7, 20))
    reference_request(side, side.borough, asked=date(2026, 7, 13), answered=None)
    reference_request(side, side.borough, asked=date(2026, 3, 2), answered=date(2026, 3, 30))  # before the scope

    lines = figures.agencies_ranked(Scope(Q1, Q2, region=side.region))

    assert [(a.name, a.assignments, a.breaches, a.signed_off) for a in lines] == [
        ("Busy Agency", 4, 1, 1),
        (side.agency.name, 2, 1, 0),
    ]
    assert (lines[1].references_completed, lines[1].median_turnaround) == (2, Decimal("4.0"))
    assert (lines[0].references_completed, lines[0].median_turnaround) == (0, None)


def test_agency_reference_requests_by_borough_and_status(world):
    side = region_with_card(world.own)
    reference_request(side, side.borough, asked=date(2026, 7, 6), answered=date(2026, 7, 8))
    reference_request(side, side.borough, asked=date(2026, 7, 7), answered=None)
    reference_request(
        side,
        side.msp_borough,
        asked=date(2026, 7, 7),
        answered=date(2026, 7, 7),
        status=ReferenceRequest.Status.DECLINED,
    )
    reference_request(world.other, world.other.borough, asked=date(2026, 7, 7), answered=None)  # another agency

    lines = figures.agency_reference_requests(Scope(Q1, Q2, agency=side.agency))

    assert [(line.borough, line.status, line.requested, line.median_turnaround) for line in lines] == sorted(
        [
            (side.borough.name, "Completed", 1, Decimal("2.0")),
            (side.borough.name, "Requested", 1, None),
            (side.msp_borough.name, "Declined", 1, None),
        ]
    )


def test_a_borough_sees_others_only_as_medians_of_at_least_five(world):
    side = region_with_card(world.own)
    home = side.borough.sub_region
    elsewhere = SubRegionFactory(region=side.region, name="Elsewhere")
    side.msp_borough.sub_region = elsewhere
    side.msp_borough.save()
    neighbours = more_boroughs(side, 4, sub_region=home)
    accepted_return(side, side.borough, Q2, [Row("40.00"), Row("30.00")], workforce={"social-worker": ("2", "18")})
    for borough, count in zip(neighbours, (1, 3, 6, 8), strict=True):
        accepted_return(side, borough, Q2, [Row("30.00")] * count)
    accepted_return(side, side.msp_borough, Q2, [Row("30.00")] * 10)

    comparison = {c.measure: c for c in figures.borough_comparison(Scope(Q1, Q2, region=side.region), side.borough)}

    rows = comparison["Assignments (rows)"]
    # Own 2. Sub-region: 2, 1, 3, 6, 8 (median 3, a small count). Region: those and 10 (median 4.5, so 5).
    assert (rows.own, rows.sub_region, rows.region) == ("2", "fewer than 5", "5")
    over = comparison["Rows over the cap"]
    assert (over.own, over.sub_region, over.region) == ("1", "0", "0")
    share = comparison["Agency share of the workforce (%)"]
    # Only one borough reported workforce figures: too few to show a median.
    assert (share.own, share.sub_region, share.region) == ("10.0", "fewer than 5 boroughs", "fewer than 5 boroughs")
    # The other sub-region has one borough: no median for the MSP borough's sub-region either.
    theirs = {c.measure: c for c in figures.borough_comparison(Scope(Q1, Q2, region=side.region), side.msp_borough)}
    assert theirs["Assignments (rows)"].sub_region == "fewer than 5 boroughs"


def test_on_time_is_the_first_submission_against_the_deadline(world):
    from datetime import datetime

    from returns.models import Transition

    side = region_with_card(world.own)
    extra = more_boroughs(side, 1)[0]
    by = side.users[Role.BOROUGH_SUBMITTER]
    tz = timezone.get_current_timezone()

    def submitted(built, *days):
        for day in days:  # 2026 dates; the period's deadline is 30 October 2026
            made = Transition.objects.create(ret=built.ret, from_status="draft", to_status="submitted", by=by)
            Transition.objects.filter(pk=made.pk).update(at=datetime(2026, *day, 12, tzinfo=tz))  # auto_now_add

    resubmitted = accepted_return(side, side.borough, Q2, [])
    submitted(resubmitted, (10, 20), (11, 5))  # sent back after the first: keeps its first date
    late = accepted_return(side, side.msp_borough, Q2, [], status=Return.Status.SUBMITTED)
    submitted(late, (11, 2))
    period = resubmitted.ret.period

    lines = {line.unit: (line.status, line.on_time) for line in figures.submission_timeliness(period)}

    assert lines == {
        unit(side.borough).name: ("Accepted", True),
        unit(side.msp_borough).name: ("Submitted", False),
        unit(extra).name: ("Not started", None),
    }
