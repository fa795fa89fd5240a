"""The per-return aggregates (dashboards.aggregates) and the figures read from them (figures.aggregated):
every figure equals the same figure computed from the rows (the reference) on varied data; they are kept up
to date when a return is accepted, reopened or checked again, and when the rate cards change; and a page
reads no assignment rows, in as many queries however many there are."""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dashboards import aggregates, figures
from dashboards.cache import one_version
from dashboards.figures import Scope, aggregated
from dashboards.models import (
    AgencyFigures,
    BoroughFigures,
    PayFigures,
    RegionAgencyFigures,
    RegionPayFigures,
    ReturnFigures,
)
from pledge_portal.accounts.roles import Role
from rates.models import LocalRole, RoleCategory
from returns import services
from returns.models import Assignment, ReportingUnit, Return, ValidationRun
from returns.validation import run_validation
from tests.dashboards.dashboard_data import (
    Q1,
    Q2,
    Row,
    accepted_return,
    added_up,
    flag,
    more_boroughs,
    period,
    region_with_card,
    role,
)
from tests.factories import AgencyFactory, SubRegionFactory
from tests.rates.helpers import publish_card

pytestmark = pytest.mark.django_db

Q0 = date(2026, 1, 1)  # before the card: no cap applies, so no row is over it
Q3 = date(2026, 10, 1)
ALL = (Q0, Q3)

# Every figure read from the aggregates, with its namesake computed from the rows.
PAIRS = [
    (aggregated.breaches_by_borough, figures.breaches_by_borough),
    (aggregated.breaches_over_time, figures.breaches_over_time),
    (aggregated.flags_by_borough, figures.flags_by_borough),
    (aggregated.flags_over_time, figures.flags_over_time),
    (aggregated.agencies_ranked, figures.agencies_ranked),
    (aggregated.pay_rates_by_role, figures.pay_rates_by_role),
    (aggregated.headlines, figures.headlines),
]
AGENCY_PAIRS = [
    (aggregated.agency_by_borough, figures.agency_by_borough),
    (aggregated.breaches_over_time, figures.breaches_over_time),
    (aggregated.agencies_ranked, figures.agencies_ranked),
]


def _blank_rows(built, borough, *, start: int) -> None:
    """Rows with blank fields, as a return may hold them: no role, engagement type, pay rate or agency."""
    base = {"ret": built.ret, "borough": borough, "agency_name": "Unheard Of Ltd", "start_date": date(2026, 5, 4)}
    Assignment.objects.create(**base, position=start, role=role("social-worker"), hourly_pay_rate=Decimal("50.00"))
    Assignment.objects.create(**base, position=start + 1, engagement_type="umbrella")  # no role, no rate
    Assignment.objects.create(
        **base, position=start + 2, role=role("team-manager"), engagement_type="paye", hourly_pay_rate=None
    )


def _varied(side):
    """Four quarters of returns in two sub-regions, one a joint unit of two boroughs: accepted, submitted,
    reopened and accepted through the services; breaches signed and not, PAYE and umbrella, a local role,
    agencies known and not, blank fields, and flags from an older and a latest check."""
    analyst = side.users[Role.REGIONAL_ANALYST]
    east = SubRegionFactory(region=side.region, name="East")
    far, joint_a, joint_b = more_boroughs(side, 3, sub_region=east)
    joint = ReportingUnit.objects.create(region=side.region, name="Joint unit")
    joint.boroughs.set([joint_a, joint_b])
    local = LocalRole.objects.create(
        region=side.region, code="principal-sw", name="Principal social worker", core=role("team-manager")
    )
    busy, quiet = AgencyFactory(name="Busy Ltd"), AgencyFactory(name="Quiet Ltd")
    for quarter in (Q0, Q1, Q2, Q3):
        start = quarter + timedelta(days=10)
        built = accepted_return(
            side,
            side.borough,
            quarter,
            [
                Row("40.00", start=start, signed_off=True),  # over £36.40 from Q1, signed off
                Row("37.00", start=start),  # over, not signed off
                Row("33.00", engagement="paye", start=start),  # over PAYE's £31.85
                Row("31.00", engagement="paye", start=start, agency=busy),
                Row("44.00", role="team-manager", local_role=local, start=start, agency=busy),
                Row("36.40", start=start, agency=quiet),  # at the cap: within it
            ],
            workforce={"social-worker": ("3", "20"), "team-manager": ("1", "4")},
            spend=("1000.00", None, "1200.00"),
        )
        _blank_rows(built, side.borough, start=7)
        flag(built, [(0, "COOL-001")], finished=timezone.now() - timedelta(days=3))  # superseded
        flag(built, [(0, "COOL-001"), (0, "COOL-002"), (1, "PQE-001"), (2, "DUP-001"), (3, "CROSS-001")])
        # The joint unit: rows in both of its boroughs, in one return.
        joint_ret = Return.objects.create(
            unit=joint, period=period(side, quarter), status=Return.Status.SIGNED_OFF, created_by=analyst
        )
        for i, (borough, rate) in enumerate([(joint_a, "30.00"), (joint_b, "38.00"), (joint_b, "29.99")], start=1):
            Assignment.objects.create(
                ret=joint_ret,
                position=i,
                borough=borough,
                role=role("social-worker"),
                agency=quiet,
                agency_name=quiet.name,
                engagement_type="limited-company",
                start_date=start,
                hourly_pay_rate=Decimal(rate),
                pqe_years=Decimal("2.0"),
            )
        services.accept_return(ret=joint_ret, by=analyst)  # built by the service
    # Another borough: one quarter accepted, one submitted (not counted), one reopened (not counted).
    accepted_return(side, far, Q2, [Row("50.00", role="team-manager", start=Q2), Row("30.00", start=Q2)])
    accepted_return(side, far, Q1, [Row("99.00", start=Q1)], status=Return.Status.SUBMITTED)
    reopened = accepted_return(side, side.msp_borough, Q3, [Row("99.00", start=Q3)])
    accepted_return(side, side.msp_borough, Q2, [Row("35.00", start=Q2, agency=quiet)])
    aggregates.rebuild(everything=True)  # rows were added after some returns' figures were built
    services.reopen_return(ret=reopened.ret, by=analyst, comment="Row 1 is wrong")
    return {"east": east, "far": far, "joint": joint, "joint_b": joint_b, "busy": busy, "quiet": quiet}


def _scopes(side, made):
    region = side.region
    joint_only = frozenset({made["joint"].pk})
    return [
        Scope(*ALL, region=region),
        Scope(Q2, Q2, region=region),
        Scope(Q1, Q3, region=region, sub_region=made["east"]),
        Scope(*ALL, region=region, borough=side.borough),
        Scope(*ALL, region=region, borough=made["joint_b"]),
        Scope(*ALL, region=region, role=RoleCategory.objects.get(code="team-manager")),
        Scope(*ALL, region=region, role=RoleCategory.objects.get(code="social-worker"), sub_region=made["east"]),
        Scope(*ALL, region=region, units=joint_only),
        Scope(Q3, Q3, region=region),  # the reopened return's quarter
    ]


def _assert_read_from_aggregates(function, *args):
    """The figure reads the aggregates, not the rows."""
    with CaptureQueriesContext(connection) as queries:
        function(*args)
    assert not [q["sql"] for q in queries if "returns_assignment" in q["sql"]], function.__name__


def test_every_figure_from_the_aggregates_equals_the_figure_from_the_rows(world):
    side = region_with_card(world.own)
    made = _varied(side)
    assert aggregated.ready()

    checked = 0
    for scope in _scopes(side, made):
        for stored, reference in PAIRS:
            assert stored(scope) == reference(scope), (stored.__name__, scope)
            _assert_read_from_aggregates(stored, scope)
            checked += 1
        # Two quarters compared on the units in both, and a borough against the region's medians.
        if scope.start == scope.end or scope.units:
            continue
        latest = Scope(scope.end, scope.end, region=scope.region, borough=scope.borough, role=scope.role)
        assert aggregated.compare_quarters(latest, Q2) == figures.compare_quarters(latest, Q2)
        for borough in (side.borough, made["far"], made["joint_b"]):
            assert aggregated.borough_comparison(scope, borough) == figures.borough_comparison(scope, borough)
    for agency in (side.agency, made["busy"], made["quiet"]):
        for scope in (Scope(*ALL, agency=agency), Scope(Q1, Q2, agency=agency, role=role("social-worker"))):
            for stored, reference in AGENCY_PAIRS:
                assert stored(scope) == reference(scope), (stored.__name__, agency)
                _assert_read_from_aggregates(stored, scope)
                checked += 1
    assert checked == 9 * len(PAIRS) + 6 * len(AGENCY_PAIRS)


def test_a_scope_within_the_pages_reads_the_pages_figures_without_a_query(world):
    side = region_with_card(world.own)
    made = _varied(side)
    wide = Scope(*ALL, region=side.region)
    within = [Scope(Q2, Q3, region=side.region), Scope(Q1, Q2, region=side.region, units=frozenset({made["joint"].pk}))]
    other_role = Scope(Q2, Q3, region=side.region, role=role("team-manager"))  # not within: its own query
    expected = {s: (aggregated.headlines(s), figures.coverage_by_quarter(s)) for s in [*within, other_role]}

    with one_version():
        aggregated.headlines(wide), figures.coverage_by_quarter(wide)
        for scope in within:
            with CaptureQueriesContext(connection) as queries:
                assert (aggregated.headlines(scope), figures.coverage_by_quarter(scope)) == expected[scope]
            shared = ("dashboards_boroughfigures", "returns_workforceline", "returns_return")
            assert not [q["sql"] for q in queries if any(table in q["sql"] for table in shared)]
        assert (aggregated.headlines(other_role), figures.coverage_by_quarter(other_role)) == expected[other_role]
    assert expected[within[0]][0] and expected[other_role][0] != expected[within[0]][0]


def test_the_whole_region_figures_are_the_parts_added_up_after_accepting_reopening_and_rebuilding(world):
    side = region_with_card(world.own)
    made = _varied(side)  # accepts through the services, rebuilds, and reopens one return
    agency = (("agency_id",), ("rows", "breaches", "signed_off"))
    pay = (("basis", "rate"), ("rows",))
    assert added_up(RegionAgencyFigures, *agency) == added_up(AgencyFigures, *agency)
    assert added_up(RegionPayFigures, *pay) == added_up(PayFigures, *pay)
    assert RegionAgencyFigures.objects.count() < AgencyFigures.objects.count()  # added up, not copied

    joint_q2 = Return.objects.get(unit=made["joint"], period__starts_on=Q2)
    services.reopen_return(ret=joint_q2, by=side.users[Role.REGIONAL_ANALYST], comment="Row 2 is wrong")
    assert added_up(RegionPayFigures, *pay) == added_up(PayFigures, *pay)
    aggregates.rebuild(everything=True)
    assert added_up(RegionAgencyFigures, *agency) == added_up(AgencyFigures, *agency)
    assert added_up(RegionPayFigures, *pay) == added_up(PayFigures, *pay)


def test_pay_quartiles_from_the_aggregates_are_exact_for_every_size_of_line_and_ties(world):
    """The quartiles the database picks (a running count over the rates) against the reference's and against
    ``statistics.quantiles``, on lines of one row to over twenty, whose rates repeat within a return and
    across boroughs and quarters, so every position and fraction between two rates comes up."""
    import random
    import statistics

    side = region_with_card(world.own)
    other = more_boroughs(side, 1)[0]
    draw = random.Random(13)
    pool = [Decimal("29.99"), Decimal("30.00"), Decimal("31.50"), Decimal("44.10"), Decimal("52.37")]
    rates: dict[tuple, list[Decimal]] = {}  # (borough, quarter, role, engagement) -> its rates
    for borough in (side.borough, other):
        for quarter in (Q0, Q1, Q2, Q3):
            rows = []
            for role_code, engagement in [
                ("social-worker", "umbrella"),
                ("social-worker", "paye"),
                ("team-manager", "limited-company"),
            ]:
                for _ in range(draw.randint(0, 4)):
                    rate = draw.choice(pool) if draw.random() < 0.6 else Decimal(draw.randint(2500, 6000)) / 100
                    rows.append(Row(str(rate), engagement=engagement, role=role_code, start=quarter))
                    rates.setdefault((borough, quarter, role_code, engagement), []).append(rate)
            accepted_return(side, borough, quarter, rows)
    assert aggregated.ready()

    sizes = set()
    for start, end in [(q, q) for q in (Q0, Q1, Q2, Q3)] + [(Q0, Q1), (Q1, Q3), ALL]:
        for borough in (None, side.borough, other):
            scope = Scope(start, end, region=side.region, borough=borough)
            lines = aggregated.pay_rates_by_role(scope)
            assert lines == figures.pay_rates_by_role(scope), scope
            for line in lines:
                code = "social-worker" if line.role == "Social worker" else "team-manager"
                values = sorted(
                    rate
                    for (b, quarter, role_code, engagement), found in rates.items()
                    if (borough is None or b == borough)
                    and start <= quarter <= end
                    and role_code == code
                    and (engagement == "paye") == (line.basis == "paye")
                    for rate in found
                )
                assert line.rows == len(values)
                sizes.add(len(values))
                if len(values) == 1:
                    assert line.lower_quartile == line.median == line.upper_quartile == values[0]
                    continue
                expected = [
                    q.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                    for q in statistics.quantiles(values, n=4, method="inclusive")
                ]
                assert [line.lower_quartile, line.median, line.upper_quartile] == expected, (scope, values)
    assert {1, 2, 3, 4, 5, 6, 7, 8, 9} <= sizes and max(sizes) > 20


def test_the_figures_are_not_empty_and_leave_out_what_is_not_accepted(world):
    """The comparison above would pass on two empty answers: these are the hand-counted figures."""
    side = region_with_card(world.own)
    made = _varied(side)
    everything = Scope(*ALL, region=side.region)

    lines = {
        line.label: (line.rows, line.breaches, line.signed_off) for line in aggregated.breaches_by_borough(everything)
    }
    # The own borough: 9 rows a quarter. From Q1 (the card's start) 40.00 (signed off), 37.00 and 33.00 PAYE are
    # over the cap; 36.40 is at it, the local role's 44.00 within the team manager's £45.75, and the £50.00 row
    # without an engagement type has no cap to be over.
    assert lines[side.borough.name] == (36, 9, 3)
    assert lines[made["far"].name] == (2, 1, 0)  # Q2 only: the submitted Q1 return is left out
    assert lines[side.msp_borough.name] == (1, 0, 0)  # the reopened Q3 return is left out
    assert lines[made["joint_b"].name] == (8, 3, 0)  # 38.00 over £36.40 in Q1-Q3
    flags = {
        line.label: (line.cool_off, line.low_pqe, line.overlap) for line in aggregated.flags_by_borough(everything)
    }
    assert flags == {side.borough.name: (4, 4, 8)}  # COOL-001 and -002 on one row count once; the older check not
    pay = {(line.role, line.basis): line.rows for line in aggregated.pay_rates_by_role(everything)}
    assert pay[("Team manager", "inclusive")] == 5  # the local role's rows fold into its core type
    assert not ReturnFigures.objects.filter(ret__status__in=[Return.Status.SUBMITTED, Return.Status.RETURNED]).exists()


def test_accepting_builds_the_figures_and_reopening_removes_them(world):
    side = region_with_card(world.own)
    analyst = side.users[Role.REGIONAL_ANALYST]
    built = accepted_return(side, side.borough, Q2, [Row("40.00"), Row("30.00")], status=Return.Status.SIGNED_OFF)
    scope = Scope(Q2, Q2, region=side.region)
    assert not ReturnFigures.objects.exists()

    services.accept_return(ret=built.ret, by=analyst)

    assert not aggregates.stale()
    assert [(b.rows, b.breaches) for b in aggregated.breaches_by_borough(scope)] == [(2, 1)]
    assert (
        BoroughFigures.objects.count() == 1 and AgencyFigures.objects.count() == 1 and PayFigures.objects.count() == 2
    )

    services.reopen_return(ret=built.ret, by=analyst, comment="Wrong rates")

    assert not aggregates.stale()
    assert aggregated.breaches_by_borough(scope) == [] == figures.breaches_by_borough(scope)
    assert not any(m.objects.exists() for m in (ReturnFigures, BoroughFigures, AgencyFigures, PayFigures))


def test_a_check_that_finishes_on_an_accepted_return_updates_its_flags(world):
    side = region_with_card(world.own)
    built = accepted_return(side, side.borough, Q2, [Row("30.00", start=date(2026, 7, 6))])
    Assignment.objects.filter(pk=built.rows[0].pk).update(pqe_years=Decimal("1.0"))  # a locum under 3 years' PQE
    aggregates.rebuild()
    scope = Scope(Q2, Q2, region=side.region)
    assert aggregated.flags_by_borough(scope) == []

    run = ValidationRun.objects.create(ret=built.ret, revision=built.ret.revision)
    run_validation(run)

    assert [(f.label, f.low_pqe) for f in aggregated.flags_by_borough(scope)] == [(side.borough.name, 1)]
    assert aggregated.flags_by_borough(scope) == figures.flags_by_borough(scope)
    assert ReturnFigures.objects.get(ret=built.ret).run_id == run.pk


def test_a_new_rate_card_makes_the_figures_stale_until_they_are_rebuilt(world, monkeypatch):
    from django.core.cache import cache

    side = region_with_card(world.own)
    july = date(2026, 7, 6)
    accepted_return(side, side.borough, Q2, [Row("40.00", start=july), Row("38.00", start=july)])
    aggregates.rebuild()
    cache.delete(aggregated.REBUILD_LOCK)
    scope = Scope(Q2, Q2, region=side.region)
    assert [b.breaches for b in aggregated.breaches_by_borough(scope)] == [2]
    queued = []
    monkeypatch.setattr("dashboards.tasks.rebuild_dashboard_figures.delay", lambda: queued.append(1))

    # A card from July with a higher cap: 38.00 is within it now.
    publish_card(
        side.region, side.users[Role.REGIONAL_ANALYST], effective_from=Q2, caps={"social-worker": ("39.00", "34.00")}
    )

    assert aggregates.stale()
    assert [b.breaches for b in aggregated.breaches_by_borough(scope)] == [1]  # from the rows, meanwhile
    assert queued == [1]
    assert aggregates.rebuild() == {"built": 1, "removed": 0}
    assert not aggregates.stale()
    assert [b.breaches for b in aggregated.breaches_by_borough(scope)] == [1]  # from the aggregates


def test_rebuilding_is_idempotent_and_catches_returns_written_without_the_services(world):
    side = region_with_card(world.own)
    built = accepted_return(side, side.borough, Q2, [Row("40.00")])
    aggregates.forget([built.ret.pk])  # as if it had been written without the services (a restore, say)
    assert aggregates.stale()

    assert aggregates.rebuild() == {"built": 1, "removed": 0}
    assert aggregates.rebuild() == {"built": 0, "removed": 0}
    counts = [m.objects.count() for m in (ReturnFigures, BoroughFigures, AgencyFigures, PayFigures)]
    assert aggregates.rebuild(everything=True) == {"built": 1, "removed": 0}
    assert (
        [m.objects.count() for m in (ReturnFigures, BoroughFigures, AgencyFigures, PayFigures)]
        == counts
        == [1, 1, 1, 1]
    )
    # A return moved out of accepted without the services loses its figures at the next rebuild.
    Return.objects.update(status=Return.Status.RETURNED)
    assert aggregates.stale()
    assert aggregates.rebuild() == {"built": 0, "removed": 1}
    assert not aggregates.stale()


def test_the_rebuild_command_reports_what_it_did(world):
    from io import StringIO

    from django.core.management import call_command

    side = region_with_card(world.own)
    built = accepted_return(side, side.borough, Q2, [Row("40.00")])
    aggregates.forget([built.ret.pk])
    out = StringIO()
    call_command("rebuild_dashboard_figures", stdout=out)
    assert "Built the figures of 1 accepted returns" in out.getvalue()
    assert not aggregates.stale()


def _grow(side, boroughs: int, quarters: list[date]):
    for borough in [side.borough, *more_boroughs(side, boroughs)]:
        for quarter in quarters:
            built = accepted_return(
                side,
                borough,
                quarter,
                [
                    Row("40.00", signed_off=True, start=quarter),
                    *[Row(f"3{n}.00", agency=AgencyFactory(), start=quarter) for n in range(5)],
                ],
                workforce={"social-worker": ("2", "18")},
                spend=("1000.00", "1100.00", "1200.00"),
            )
            flag(built, [(0, "PQE-001")])
    aggregates.rebuild()


def test_pages_read_no_assignment_rows_and_their_queries_do_not_grow_with_quarters_or_rows(world, client_for):
    side = region_with_card(world.own)
    # Three quarters, so the quarter comparison is made in both worlds, on a range other than the page's (the
    # figures of one range are read once per page: a comparison over the page's own range costs fewer queries).
    _grow(side, 0, [Q1, Q2, Q3])
    pages = [
        (side.users[Role.REGIONAL_ANALYST], reverse("dashboards:region", kwargs={"pk": side.region.pk})),
        (side.users[Role.REGIONAL_ANALYST], reverse("dashboards:borough", kwargs={"pk": side.borough.pk})),
        (side.users[Role.AGENCY_USER], reverse("dashboards:agency", kwargs={"pk": side.agency.pk})),
    ]

    def counts():
        result = []
        quarters = sorted(side.region.reporting_periods.values_list("starts_on", flat=True))
        for user, url in pages:
            client = client_for(user)
            url += f"?from={quarters[0]}&to={quarters[-1]}"  # every quarter there is
            client.get(url)  # warm the in-process rate table
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            assert not [q["sql"] for q in queries if "returns_assignment" in q["sql"]], url
            result.append(len(queries))
        return result

    small = counts()
    _grow(side, 5, [Q0])  # four quarters, six boroughs, more agencies and rows

    assert counts() == small
