"""The dashboard pages: what each role sees, tables and CSVs that agree with the figures, suppression on the
borough page, filters, and a number of queries that does not grow with the data."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards import figures
from dashboards.figures import Scope
from pledge_portal.accounts.roles import Role
from tests.dashboards.dashboard_data import Q1, Q2, Row, accepted_return, flag, more_boroughs, region_with_card
from tests.factories import AgencyFactory

pytestmark = pytest.mark.django_db

REGION_PANELS = [
    "completeness",
    "share",
    "share-over-time",
    "pay",
    "breaches",
    "breaches-over-time",
    "flags",
    "spend",
    "agencies",
]


def _data(side, *, boroughs: int = 0, rows: int = 2, own: bool = True):
    """Two quarters of accepted returns with ``rows`` rows each, for the side's two boroughs (unless not
    ``own``) and ``boroughs`` more boroughs of its region."""
    for borough in [*([side.borough, side.msp_borough] if own else []), *more_boroughs(side, boroughs)]:
        for quarter in (Q1, Q2):
            agency = AgencyFactory()
            built = accepted_return(
                side,
                borough,
                quarter,
                [Row("40.00", signed_off=True), *[Row("30.00", agency=agency)] * (rows - 1)],
                workforce={"social-worker": ("2", "18"), "team-manager": ("1", "3")},
                spend=("1000.00", "1100.00", "1200.00"),
            )
            flag(built, [(0, "PQE-001"), (0, "COOL-001")])


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _region_url(side, **params):
    url = reverse("dashboards:region", kwargs={"pk": side.region.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def test_the_regional_dashboard_shows_every_panel_with_a_table_chart_and_csv(world, client_for):
    side = region_with_card(world.own)
    _data(side)
    response = client_for(side.users[Role.REGIONAL_ANALYST]).get(_region_url(side))
    assert response.status_code == 200
    page = response.content.decode()
    for slug in REGION_PANELS:
        assert f'id="panel-{slug}"' in page
        assert f"download={slug}" in page
    assert page.count('role="img"') == len(REGION_PANELS)
    for slug in ("coverage", "quarter-comparison"):  # tables without a chart
        assert f'id="panel-{slug}"' in page
    assert side.borough.name in page and side.msp_borough.name in page
    # Drill-down: each borough's row links to its dashboard.
    assert reverse("dashboards:borough", kwargs={"pk": side.borough.pk}) in page
    assert world.other.borough.name not in page


def test_each_csv_holds_the_numbers_of_the_figures(world, client_for):
    side = region_with_card(world.own)
    _data(side)
    client = client_for(side.users[Role.STEERING_MEMBER])

    breaches = _csv(client.get(_region_url(side, **{"from": Q1, "to": Q2, "download": "breaches"})))

    expected = figures.breaches_by_borough(Scope(Q1, Q2, region=side.region))
    assert breaches[0] == ["Borough", "Rows", "Over the cap", "Signed off", "Not signed off"]
    assert breaches[1:] == [
        [b.label, str(b.rows), str(b.breaches), str(b.signed_off), str(b.without_sign_off)] for b in expected
    ]
    assert breaches[1:] == [[side.borough.name, "4", "2", "2", "0"], [side.msp_borough.name, "4", "2", "2", "0"]]
    spend = _csv(client.get(_region_url(side, **{"from": Q1, "to": Q2, "download": "spend"})))
    assert spend[1:] == [
        ["Apr 2026", "2000.00", "2", "2 of 2 units"],
        ["May 2026", "2200.00", "2", "2 of 2 units"],
        ["Jun 2026", "2400.00", "2", "2 of 2 units"],
        ["Jul 2026", "2000.00", "2", "2 of 2 units"],
        ["Aug 2026", "2200.00", "2", "2 of 2 units"],
        ["Sep 2026", "2400.00", "2", "2 of 2 units"],
    ]


def test_an_unknown_download_is_not_found(world, client_for):
    side = region_with_card(world.own)
    response = client_for(side.users[Role.REGIONAL_ANALYST]).get(_region_url(side, download="nonsense"))
    assert response.status_code == 404


def test_filters_narrow_the_quarters_and_roles_and_bad_values_fall_back(world, client_for):
    side = region_with_card(world.own)
    _data(side)
    client = client_for(side.users[Role.REGIONAL_ANALYST])

    only_q2 = _csv(client.get(_region_url(side, **{"from": Q2, "to": Q2, "download": "breaches-over-time"})))
    assert [row[0] for row in only_q2[1:]] == ["2026-27 Q2"]
    managers = _csv(
        client.get(_region_url(side, **{"from": Q1, "to": Q2, "role": "team-manager", "download": "share"}))
    )
    assert [row[1:] for row in managers[1:]] == [["2.00", "6.00", "25.0"], ["2.00", "6.00", "25.0"]]
    # A forged quarter or role is ignored: the default range and every role.
    response = client.get(_region_url(side, **{"from": "1999-01-01", "to": "not-a-date", "role": "nobody"}))
    assert response.status_code == 200
    assert "Accepted returns from 2026-27 Q1 to 2026-27 Q2." in response.content.decode()


def test_the_sub_region_filter_keeps_only_its_boroughs(world, client_for):
    side = region_with_card(world.own)
    _data(side)
    client = client_for(side.users[Role.REGIONAL_ANALYST])
    sub = side.borough.sub_region
    rows = _csv(client.get(_region_url(side, sub_region=sub.pk, download="breaches")))
    assert [row[0] for row in rows[1:]] == [side.borough.name]


def test_query_count_does_not_grow_with_the_data(world, client_for):
    side = region_with_card(world.own)
    _data(side, boroughs=0, rows=2)
    client = client_for(side.users[Role.REGIONAL_ANALYST])
    urls = lambda: [  # noqa: E731 - the same pages before and after more data
        _region_url(side),
        reverse("dashboards:borough", kwargs={"pk": side.borough.pk}),
    ]
    agency_url = reverse("dashboards:agency", kwargs={"pk": side.agency.pk})
    agency_client = client_for(side.users[Role.AGENCY_USER])

    def counts():
        result = []
        for url in urls():
            client.get(url)  # warm the in-process rate table
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        with CaptureQueriesContext(connection) as queries:
            assert agency_client.get(agency_url).status_code == 200
        result.append(len(queries))
        return result

    small = counts()
    _data(side, boroughs=6, rows=8, own=False)
    large = counts()

    assert small == large
    assert max(large) <= 50  # coverage (3 queries) and the quarter comparison (7) on each page


def test_a_borough_sees_its_own_figures_and_others_only_as_medians(world, client_for):
    side = region_with_card(world.own)
    _data(side, boroughs=2)
    client = client_for(side.users[Role.BOROUGH_SUBMITTER])

    response = client.get(reverse("dashboards:borough", kwargs={"pk": side.borough.pk}))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Against the region" in page
    assert "fewer than 5 boroughs" in page  # four boroughs reported: too few for a median
    for other in (side.msp_borough, world.other.borough, "Extra Borough 0"):
        assert str(other) not in page
    comparison = _csv(
        client.get(reverse("dashboards:borough", kwargs={"pk": side.borough.pk}) + "?download=comparison")
    )
    assert comparison[0] == ["Measure", side.borough.name, "Sub-region median", "Region median"]
    assert ["Assignments (rows)", "4", "fewer than 5 boroughs", "fewer than 5 boroughs"] in comparison


def test_another_tenants_dashboards_are_not_found(world, client_for):
    own, other = region_with_card(world.own), world.other
    checks = [
        (own.users[Role.REGIONAL_ANALYST], reverse("dashboards:region", kwargs={"pk": other.region.pk})),
        (own.users[Role.BOROUGH_APPROVER], reverse("dashboards:borough", kwargs={"pk": own.msp_borough.pk})),
        (own.users[Role.AGENCY_ADMIN], reverse("dashboards:agency", kwargs={"pk": other.agency.pk})),
        (own.users[Role.MSP_USER], reverse("dashboards:borough", kwargs={"pk": own.borough.pk})),
    ]
    for user, url in checks:
        assert client_for(user).get(url).status_code == 404, url


def test_the_agency_dashboard_shows_only_its_own_rows(world, client_for):
    side = region_with_card(world.own)
    stranger = AgencyFactory(name="Stranger Staffing")
    accepted_return(side, side.borough, Q2, [Row("40.00"), Row("30.00"), Row("30.00", agency=stranger)])
    client = client_for(side.users[Role.AGENCY_USER])

    url = reverse("dashboards:agency", kwargs={"pk": side.agency.pk})
    page = client.get(url).content.decode()
    rows = _csv(client.get(url + "?download=boroughs"))

    assert "Stranger Staffing" not in page
    assert rows[1:] == [[side.borough.name, side.region.name, "2", "1", "0", "1"]]


def test_the_index_lists_the_dashboards_of_the_users_role(world, client_for):
    side = world.own
    region_url = reverse("dashboards:region", kwargs={"pk": side.region.pk})
    borough_url = reverse("dashboards:borough", kwargs={"pk": side.borough.pk})
    agency_url = reverse("dashboards:agency", kwargs={"pk": side.agency.pk})
    seen = {
        role: client_for(side.users[role]).get(reverse("dashboards:index")).content.decode()
        for role in (Role.REGIONAL_ANALYST, Role.BOROUGH_SUBMITTER, Role.AGENCY_USER)
    }
    assert region_url in seen[Role.REGIONAL_ANALYST] and borough_url in seen[Role.REGIONAL_ANALYST]
    assert borough_url in seen[Role.BOROUGH_SUBMITTER] and region_url not in seen[Role.BOROUGH_SUBMITTER]
    assert agency_url in seen[Role.AGENCY_USER] and borough_url not in seen[Role.AGENCY_USER]


def test_agencies_can_be_ordered_by_rows_breaches_or_turnaround(world, client_for):
    side = region_with_card(world.own)
    many_rows, many_breaches = AgencyFactory(name="Many Rows Ltd"), AgencyFactory(name="Many Breaches Ltd")
    accepted_return(
        side,
        side.borough,
        Q2,
        [Row("30.00", agency=many_rows)] * 4 + [Row("40.00", agency=many_breaches)] * 2 + [Row("30.00")],
    )
    client = client_for(side.users[Role.REGIONAL_ANALYST])

    def order(rank: str) -> list[str]:
        return [row[0] for row in _csv(client.get(_region_url(side, rank=rank, download="agencies")))[1:]]

    assert order("rows") == ["Many Rows Ltd", "Many Breaches Ltd", side.agency.name]
    assert order("breaches") == ["Many Breaches Ltd", "Many Rows Ltd", side.agency.name]
    assert order("forged") == order("rows")
    page = client.get(_region_url(side, rank="breaches")).content.decode()
    assert "<strong>rows over the cap</strong>" in page
    assert 'name="rank" value="breaches"' in page


def test_figures_are_cached_until_the_data_changes(world, client_for, settings):
    settings.DASHBOARD_CACHE_SECONDS = 300
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"}}
    side = region_with_card(world.own)
    _data(side)
    client = client_for(side.users[Role.REGIONAL_ANALYST])
    url = _region_url(side, **{"from": Q1, "to": Q2})

    def queries_and_boroughs():
        with CaptureQueriesContext(connection) as queries:
            rows = _csv(client.get(url + "&download=breaches"))
        return len(queries), [row[0] for row in rows[1:]]

    first, boroughs = queries_and_boroughs()
    again, same = queries_and_boroughs()
    assert again < first and same == boroughs
    # A newly accepted return is a new version of the data: the figures include it at once.
    late = more_boroughs(side, 1)[0]
    accepted_return(side, late, Q2, [Row("30.00")])
    _, now = queries_and_boroughs()
    assert now == sorted([*boroughs, late.name])


def test_a_long_agencies_table_shows_the_first_rows_and_the_csv_has_all(world, client_for, monkeypatch):
    from dashboards import views

    monkeypatch.setattr(views, "AGENCIES_SHOWN", 2)
    side = region_with_card(world.own)
    accepted_return(side, side.borough, Q2, [Row("30.00", agency=AgencyFactory(name=f"Agency {n}")) for n in range(4)])
    client = client_for(side.users[Role.REGIONAL_ANALYST])

    page = client.get(_region_url(side)).content.decode()
    rows = _csv(client.get(_region_url(side, download="agencies")))

    assert "The table shows the first 2 of 4; the CSV has them all." in page
    assert len(rows) == 5
    assert page.count('<th scope="row" class="govuk-table__header">Agency ') == 2
