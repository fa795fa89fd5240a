"""Signs of bidding up: a worker's rate rising between assignments (a move to another borough, a renewal in the
same one) beyond the region's threshold. Hand-countable data: which rises are flagged, which must not be (a
rise under the threshold, a fall, a row carried forward with a new rate, two different workers, another
region, a draft return), and who sees what (boroughs named for the region, anonymised for a borough)."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from dashboards import figures
from dashboards.figures import bidding
from dashboards.models import BiddingUpThreshold
from dashboards.services import DashboardSettingError, set_bidding_up_threshold
from pledge_portal.accounts.roles import Role
from pledge_portal.audit.models import AuditEvent
from returns.models import Return
from tests.dashboards.dashboard_data import Q1, Q2, Row, accepted_return, more_boroughs
from tests.factories import AgencyFactory

Q0 = date(2026, 1, 1)  # 2025-26 Q4
JAN, APR, JUL = date(2026, 1, 5), date(2026, 4, 6), date(2026, 7, 6)


def _history(world):
    """Own region: ``a`` (an extra borough) and ``b`` (the side's borough, whose users look at its page)."""
    side, other = world.own, world.other
    a, c = more_boroughs(side, 2)
    b = side.borough
    second = AgencyFactory(name="Second Agency Ltd")
    accepted_return(side, a, Q0, [Row("28.00", start=JAN, registration="SW100001")])
    accepted_return(
        side,
        a,
        Q1,
        [
            Row("30.00", start=JAN, registration="SW100001"),  # carried from Q0 at a new rate: not a renewal
            Row("30.00", start=APR, registration="SW100002"),
            Row("30.00", start=APR, registration="SW100003"),
            Row("36.00", start=APR, registration="SW100004"),
            Row("30.00", start=APR, registration="SW100005"),
            Row("30.00", start=APR, registration="SW100007"),
            Row("30.00", start=APR, registration="SW100010"),
        ],
    )
    accepted_return(
        side,
        a,
        Q2,
        [
            Row("34.00", start=JUL, registration="SW100002", agency=second),  # renewal, +13.3%: flagged
            Row("40.00", start=APR, registration="SW100007"),  # the same assignment carried forward: not a renewal
        ],
    )
    accepted_return(
        side,
        b,
        Q2,
        [
            Row("36.00", start=JUL, registration="SW100001"),  # a move, £30 -> £36, +20%: flagged
            Row("32.00", start=JUL, registration="SW100003"),  # +6.7%, under the threshold
            Row("30.00", start=JUL, registration="SW100004"),  # a fall
            Row("40.00", start=JUL, registration="SW100006"),  # a different worker from SW100005
            Row("40.00", start=JUL, registration="SW100008"),  # came from another region
        ],
    )
    accepted_return(side, c, Q2, [Row("45.00", start=JUL, registration="SW100010")], status=Return.Status.DRAFT)
    # Another region: its own move with a big rise, and the earlier assignment of SW100008.
    o1, o2 = other.borough, more_boroughs(other, 1)[0]
    accepted_return(
        other,
        o1,
        Q1,
        [Row("30.00", start=APR, registration="SW100008"), Row("30.00", start=APR, registration="SW100009")],
    )
    accepted_return(other, o2, Q2, [Row("40.00", start=JUL, registration="SW100009")])
    return a, b, second


def _scope(world, start=Q1, end=Q2, **extra):
    return figures.Scope(start, end, region=world.own.region, **extra)


def test_moves_and_renewals_beyond_the_threshold_are_flagged_and_nothing_else(world):
    a, b, second = _history(world)
    rises = bidding.flagged_rises(_scope(world), bidding.DEFAULT)
    assert [(r.registration_number, r.kind) for r in rises] == [("SW100001", "move"), ("SW100002", "renewal")]
    move, renewal = rises
    # The move compares the earlier assignment's last rate (£30 in Q1, not £28 in Q0) with the new one's first.
    assert (move.from_borough, move.from_rate, move.from_quarter, move.from_start) == (
        a.name,
        Decimal("30.00"),
        Q1,
        JAN,
    )
    assert (move.to_borough, move.to_rate, move.to_quarter, move.to_start) == (b.name, Decimal("36.00"), Q2, JUL)
    assert (move.rise, move.percent, move.agency) == (Decimal("6.00"), Decimal("20.0"), world.own.agency.name)
    assert (renewal.from_borough, renewal.to_borough) == (a.name, a.name)
    assert (renewal.rise, renewal.percent, renewal.agency) == (Decimal("4.00"), Decimal("13.3"), second.name)
    assert bidding.count_rises(_scope(world), bidding.DEFAULT) == (2, 2)


def test_the_other_region_sees_only_its_own_move(world):
    _history(world)
    scope = figures.Scope(Q1, Q2, region=world.other.region)
    assert [r.registration_number for r in bidding.flagged_rises(scope, bidding.DEFAULT)] == ["SW100009"]


@pytest.mark.parametrize(
    "threshold, expected",
    [
        (bidding.BiddingThreshold(Decimal(25), None), []),
        (bidding.BiddingThreshold(Decimal(20), None), []),  # exactly 20% is not beyond 20%
        (bidding.BiddingThreshold(Decimal(5), None), ["SW100001", "SW100002", "SW100003"]),
        (bidding.BiddingThreshold(None, Decimal(5)), ["SW100001"]),
        (bidding.BiddingThreshold(None, Decimal(6)), []),  # exactly £6 is not beyond £6
        (bidding.BiddingThreshold(Decimal(15), Decimal(3), both=True), ["SW100001"]),
        (bidding.BiddingThreshold(Decimal(15), Decimal(3), both=False), ["SW100001", "SW100002"]),
    ],
)
def test_the_threshold_decides_what_is_flagged(world, threshold, expected):
    _history(world)
    assert [r.registration_number for r in bidding.flagged_rises(_scope(world), threshold)] == expected


def test_a_rise_counts_in_the_quarter_its_new_assignment_first_appears(world):
    _history(world)
    assert bidding.flagged_rises(_scope(world, Q1, Q1), bidding.DEFAULT) == []
    assert len(bidding.flagged_rises(_scope(world, Q2, Q2), bidding.DEFAULT)) == 2  # Q1 is still read as "before"


def test_agencies_are_ranked_by_workers_with_a_flagged_rise_and_their_share(world):
    _, _, second = _history(world)
    lines = bidding.agencies_by_rises(_scope(world), bidding.DEFAULT)
    # The second agency's only worker in the quarters chosen is flagged; the side's agency has 9 workers there.
    assert [(a.agency, a.flagged_workers, a.workers, a.share) for a in lines] == [
        (second.name, 1, 1, Decimal("100.0")),
        (world.own.agency.name, 1, 9, Decimal("11.1")),
    ]


def test_a_borough_sees_only_rises_into_it(world):
    a, b, _ = _history(world)
    assert [r.registration_number for r in bidding.flagged_rises(_scope(world, borough=b), bidding.DEFAULT)] == [
        "SW100001"
    ]
    assert [r.registration_number for r in bidding.flagged_rises(_scope(world, borough=a), bidding.DEFAULT)] == [
        "SW100002"
    ]


def test_the_figures_cost_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    from django.db import connection

    _history(world)
    extra = 1 if connection.vendor == "postgresql" else 0  # SET LOCAL work_mem before the statement
    with django_assert_max_num_queries(1 + extra):
        bidding.count_rises(_scope(world), bidding.DEFAULT)
    with django_assert_max_num_queries(3 + extra):
        bidding.flagged_rises(_scope(world), bidding.DEFAULT)
    with django_assert_max_num_queries(4 + extra):
        bidding.agencies_by_rises(_scope(world), bidding.DEFAULT)


# --- Pages, CSV and API ----------------------------------------------------------------------------------


def _region_url(world, **query):
    url = reverse("dashboards:bidding-region", kwargs={"pk": world.own.region.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_region_page_names_boroughs_states_coverage_and_ranks_agencies(world, client_for):
    a, b, second = _history(world)
    response = client_for(world.own.users[Role.REGIONAL_ANALYST]).get(_region_url(world, **{"from": Q1, "to": Q2}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "SW100001" in page and "SW100002" in page
    assert "SW100003" not in page and "SW100007" not in page and "SW100009" not in page
    assert a.name in page and b.name in page and second.name in page
    assert "What this is built from" in page and " units" in page  # coverage, stated first
    assert "the portal&#x27;s default" in page or "the portal's default" in page
    assert reverse("dashboards:bidding-threshold", kwargs={"pk": world.own.region.pk}) in page


def test_the_region_csvs_hold_every_flagged_rise_and_agency(world, client_for):
    _history(world)
    client = client_for(world.own.users[Role.REGIONAL_ANALYST])
    rises = client.get(_region_url(world, **{"from": Q1, "to": Q2, "download": "rises"}))
    assert rises["Content-Type"].startswith("text/csv")
    lines = rises.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Registration number,Kind,From borough")
    assert [line.split(",")[0] for line in lines[1:]] == ["SW100001", "SW100002"]
    assert "36.00,6.00,20.0" in lines[1]
    agencies = client.get(_region_url(world, download="agencies")).content.decode().strip().splitlines()
    assert len(agencies) == 3
    assert client.get(_region_url(world, download="nonsense")).status_code == 404


def test_a_borough_page_lists_its_own_rises_and_never_names_another_borough(world, client_for):
    a, b, _ = _history(world)
    response = client_for(world.own.users[Role.BOROUGH_SUBMITTER]).get(
        reverse("dashboards:bidding-borough", kwargs={"pk": b.pk}) + f"?from={Q1}&to={Q2}"
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "SW100001" in page and "SW100002" not in page
    assert f"Another {world.own.region.name} borough paid £30.00" in page
    assert a.name not in page
    assert "Agencies whose workers show it most" not in page
    csv = client_for(world.own.users[Role.BOROUGH_SUBMITTER]).get(
        reverse("dashboards:bidding-borough", kwargs={"pk": b.pk}) + f"?from={Q1}&to={Q2}&download=rises"
    )
    assert a.name not in csv.content.decode() and "SW100001" in csv.content.decode()
    # Another borough's page, as this borough's user: not found.
    assert (
        client_for(world.own.users[Role.BOROUGH_SUBMITTER])
        .get(reverse("dashboards:bidding-borough", kwargs={"pk": a.pk}))
        .status_code
        == 404
    )


def test_the_page_lists_at_most_a_page_of_rises(world, client_for, monkeypatch):
    from dashboards import bidding_views

    _history(world)
    monkeypatch.setattr(bidding_views, "PAGE_SIZE", 1)
    client = client_for(world.own.users[Role.REGIONAL_ANALYST])
    first = client.get(_region_url(world, **{"from": Q1, "to": Q2})).content.decode()
    second = client.get(_region_url(world, **{"from": Q1, "to": Q2, "page": 2})).content.decode()
    assert "SW100001" in first and "SW100002" not in first and "Page 1 of 2" in first
    assert "SW100002" in second and "SW100001" not in second


def test_an_analyst_sets_the_threshold_and_it_is_audited(world, client_for):
    _history(world)
    side = world.own
    client = client_for(side.users[Role.REGIONAL_ANALYST])
    url = reverse("dashboards:bidding-threshold", kwargs={"pk": side.region.pk})
    assert client.get(url).status_code == 200
    refused = client.post(url, {"rise_percent": "", "rise_pounds": "", "combine": "either"})
    assert refused.status_code == 400
    assert "Enter a percentage, an amount an hour, or both" in refused.content.decode()
    assert client.post(url, {"rise_percent": "-5", "combine": "either"}).status_code == 400
    assert client.post(url, {"rise_percent": "1e9", "combine": "either"}).status_code == 400
    assert not BiddingUpThreshold.objects.exists()
    saved = client.post(url, {"rise_percent": "15", "rise_pounds": "3", "combine": "both"})
    assert saved.status_code == 302
    threshold = BiddingUpThreshold.objects.get(region=side.region)
    assert (threshold.rise_percent, threshold.rise_pounds, threshold.both) == (Decimal(15), Decimal(3), True)
    assert AuditEvent.objects.filter(action="bidding_up.threshold_set", organisation=side.region.organisation).exists()
    assert [
        r.registration_number for r in bidding.flagged_rises(_scope(world), bidding.threshold_for(side.region))
    ] == ["SW100001"]
    page = client.get(_region_url(world, **{"from": Q1, "to": Q2})).content.decode()
    assert "set by the region" in page and "SW100002" not in page


def test_another_regions_analyst_cannot_set_the_threshold(world):
    with pytest.raises(DashboardSettingError):
        set_bidding_up_threshold(
            region=world.own.region, by=world.other.users[Role.REGIONAL_ANALYST], percent=Decimal(5), pounds=None
        )
    assert not BiddingUpThreshold.objects.exists()


def test_the_api_gives_the_region_its_rises_agencies_and_coverage(world, client_for):
    _history(world)
    client = client_for(world.own.users[Role.REGIONAL_ANALYST])
    url = reverse("api-bidding-up", kwargs={"pk": world.own.region.pk})
    data = client.get(url, {"from": Q1.isoformat(), "to": Q2.isoformat()}).json()
    assert (data["count"], data["workers"], data["pages"]) == (2, 2, 1)
    assert [r["registration_number"] for r in data["results"]] == ["SW100001", "SW100002"]
    assert data["results"][0]["rise"] == "6.00" and data["results"][0]["kind"] == "move"
    assert [c["label"] for c in data["coverage"]] == ["2026-27 Q1", "2026-27 Q2"]
    assert data["threshold"]["set_by_region"] is False
    assert client.get(url, {"from": "2001-01-01"}).status_code == 400
    assert client.get(url, {"page": "x"}).status_code == 400
    assert client.get(url, {"page": "99"}).status_code == 404
    other_region = reverse("api-bidding-up", kwargs={"pk": world.other.region.pk})
    assert client.get(other_region).status_code == 404
    assert client_for(world.own.users[Role.STEERING_MEMBER]).get(url).status_code == 403


def test_analysts_find_the_checks_from_the_regional_dashboard_and_home(world, client_for):
    side = world.own
    bidding_url = reverse("dashboards:bidding-region", kwargs={"pk": side.region.pk})
    contacts_url = reverse("references:shared-contacts", kwargs={"pk": side.region.pk})
    dashboard = reverse("dashboards:region", kwargs={"pk": side.region.pk})
    analyst = client_for(side.users[Role.REGIONAL_ANALYST])
    for page in (analyst.get(dashboard).content.decode(), analyst.get(reverse("home")).content.decode()):
        assert bidding_url in page and contacts_url in page
    steering = client_for(side.users[Role.STEERING_MEMBER]).get(dashboard).content.decode()
    assert bidding_url not in steering and contacts_url not in steering
    lead = client_for(side.users[Role.BOROUGH_SUBMITTER])
    borough_url = reverse("dashboards:bidding-borough", kwargs={"pk": side.borough.pk})
    assert borough_url in lead.get(reverse("dashboards:borough", kwargs={"pk": side.borough.pk})).content.decode()
    assert borough_url in lead.get(reverse("home")).content.decode()
