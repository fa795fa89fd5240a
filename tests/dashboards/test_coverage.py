"""Coverage, counted by hand: a region of 3 reporting units, all 3 accepted in 2026-27 Q1 and only 1 in Q2.
Every trend says how many of the expected units it is built from, marks Q2 as partial, and Q2 is compared
with Q1 on the one unit present in both."""

import csv
import io
from decimal import Decimal

from django.urls import reverse

from dashboards import figures
from dashboards.figures import Scope
from pledge_portal.accounts.roles import Role
from returns.models import Return
from tests.dashboards.dashboard_data import Q1, Q2, Row, accepted_return, more_boroughs, region_with_card


def _three_units(side):
    """Q1: the borough 2 rows, the MSP's borough 3, a third borough 4 (all accepted). Q2: the borough's 1
    row (over the cap) accepted, the MSP's borough's return only submitted, the third borough none."""
    third = more_boroughs(side, 1)[0]
    accepted_return(side, side.borough, Q1, [Row("30.00"), Row("30.00")], workforce={"social-worker": ("1", "9")})
    accepted_return(side, side.msp_borough, Q1, [Row("40.00")] * 3, workforce={"social-worker": ("5", "5")})
    accepted_return(side, third, Q1, [Row("40.00")] * 4, workforce={"social-worker": ("9", "1")})
    accepted_return(side, side.borough, Q2, [Row("40.00")], workforce={"social-worker": ("2", "8")})
    accepted_return(side, side.msp_borough, Q2, [Row("30.00")], status=Return.Status.SUBMITTED)
    return side


def test_each_quarter_says_how_many_expected_units_it_is_built_from(world):
    side = _three_units(region_with_card(world.own))
    q1, q2 = figures.coverage_by_quarter(Scope(Q1, Q2, region=side.region))
    assert (q1.label, q1.built_from, len(q1.expected), q1.full, q1.text) == ("2026-27 Q1", 3, 3, True, "3 of 3 units")
    assert (q2.label, q2.built_from, len(q2.expected), q2.full, q2.text) == ("2026-27 Q2", 1, 3, False, "1 of 3 units")
    assert figures.partial_note([q1, q2]) == (
        "Quarters marked * are built from fewer than all the units expected to report: 2026-27 Q2, 1 of 3 units."
    )


def test_a_unit_not_expected_to_report_is_counted_apart(world):
    side = _three_units(region_with_card(world.own))
    side.msp_borough.__class__.objects.filter(pk=side.msp_borough.pk).update(pledge_signatory=False)
    q1, q2 = figures.coverage_by_quarter(Scope(Q1, Q2, region=side.region))
    assert (q1.text, q1.full) == ("2 of 2 units (and 1 optional)", True)
    assert (q2.text, q2.full) == ("1 of 2 units", False)


def test_quarters_are_compared_on_the_units_present_in_both(world):
    side = _three_units(region_with_card(world.own))
    comparison = figures.compare_quarters(Scope(Q2, Q2, region=side.region), Q1)
    assert len(comparison.common) == 1 and not comparison.like_for_like
    # On the borough alone: Q1 2 rows, none over the £36.40 cap, share 1 of 10 FTE; Q2 1 row over the cap.
    assert (comparison.then.rows, comparison.then.breaches, comparison.then.share) == (2, 0, Decimal("10.0"))
    assert (comparison.now.rows, comparison.now.breaches, comparison.now.share) == (1, 1, Decimal("20.0"))
    # The region's Q1 across all 3 units would be 9 rows, 7 over the cap: not what Q2 is compared with.
    assert figures.breaches_over_time(Scope(Q1, Q1, region=side.region))[0].rows == 9
    assert comparison.basis == (
        "Compared on the 1 unit with an accepted return for both 2026-27 Q1 (3 of 3 units) and 2026-27 Q2 "
        "(1 of 3 units); units that reported in only one are left out of both."
    )
    table = figures.comparison_table([comparison], title="Q2 against Q1")
    rows = {row[0]: row[1:] for row in table.rows}
    assert rows["Assignments (rows)"] == ["2", "1", "−1"]
    assert rows["Agency share of the workforce"] == ["10.0%", "20.0%", "+10.0 points"]


def test_no_common_unit_says_the_quarters_are_not_compared(world):
    side = region_with_card(world.own)
    accepted_return(side, side.borough, Q1, [Row("30.00")])
    accepted_return(side, side.msp_borough, Q2, [Row("30.00")])
    comparison = figures.compare_quarters(Scope(Q2, Q2, region=side.region), Q1)
    assert not comparison.common
    assert "are not compared" in comparison.basis
    assert figures.comparison_table([comparison], title="x").rows == []


def test_the_page_and_csv_mark_the_partial_quarter(world, client_for):
    side = _three_units(region_with_card(world.own))
    client = client_for(side.users[Role.REGIONAL_ANALYST])
    url = reverse("dashboards:region", kwargs={"pk": side.region.pk}) + f"?from={Q1}&to={Q2}"
    page = client.get(url).content.decode()
    assert "2026-27 Q2 *" in page  # the chart's marker
    assert "built from fewer than all the units expected to report: 2026-27 Q2, 1 of 3 units" in page
    assert "Compared on the 1 unit with an accepted return for both" in page
    response = client.get(url + "&download=breaches-over-time")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][-1] == "Coverage"
    assert [(r[0], r[-1]) for r in rows[1:]] == [("2026-27 Q1", "3 of 3 units"), ("2026-27 Q2", "1 of 3 units")]
    coverage = list(csv.reader(io.StringIO(client.get(url + "&download=coverage").content.decode("utf-8-sig"))))
    assert coverage[1:] == [
        ["2026-27 Q1", "3", "3", "3 of 3 units", "Yes"],
        ["2026-27 Q2", "3", "1", "1 of 3 units", "No"],
    ]


def test_the_page_has_contents_drill_down_keeps_filters_and_csv_names_say_what_they_hold(world, client_for):
    side = _three_units(region_with_card(world.own))
    client = client_for(side.users[Role.REGIONAL_ANALYST])
    url = reverse("dashboards:region", kwargs={"pk": side.region.pk}) + f"?from={Q1}&to={Q2}&role=social-worker"
    page = client.get(url).content.decode()
    assert 'aria-labelledby="contents-title"' in page and 'href="#panel-breaches-over-time"' in page
    borough = reverse("dashboards:borough", kwargs={"pk": side.borough.pk})
    assert f'href="{borough}?from={Q1}&amp;to={Q2}&amp;role=social-worker"' in page
    response = client.get(url + "&download=breaches-over-time")
    region = side.region.name.lower().replace(" ", "-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="breaches-over-time_{region}_social-worker_2026-27-q1-to-2026-27-q2.csv"'
    )
