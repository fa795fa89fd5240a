"""The synthetic national history: its shape, its cross-borough cases, determinism and safe replacement."""

import re
from collections import defaultdict
from datetime import date, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db.models import Count, Sum

from agencies.models import Agency
from boroughs.models import Borough, Region
from boroughs.services import load_london_authorities
from history.synthetic import PREFIX, USER_EMAIL, delete_synthetic, generate
from pledge_portal.accounts.models import User
from returns import services
from returns.leavers import kept_since
from returns.models import Assignment, Leaver, ReportingPeriod, ReportingUnit, Return, WorkforceLine
from tests.factories import AgencyFactory

TODAY = date(2026, 11, 20)


def small(**options):
    return generate(**{"years": 1, "scale": 0.05, "seed": 3, "today": TODAY, **options})


def synthetic_returns():
    return Return.objects.filter(created_by__email=USER_EMAIL)


def spells() -> dict[str, set]:
    """Each worker's assignments as (borough, start, end) however many quarters they were reported in."""
    by_worker = defaultdict(set)
    rows = Assignment.objects.filter(ret__created_by__email=USER_EMAIL).values_list(
        "registration_number", "borough_id", "start_date", "end_date"
    )
    ends = {}
    for number, borough, start, end in rows:
        key = (number, borough, start)
        ends[key] = end or ends.get(key) or date.max
    for (number, borough, start), end in ends.items():
        by_worker[number].add((borough, start, end))
    return by_worker


def fingerprint() -> list[tuple]:
    return list(
        Assignment.objects.filter(ret__created_by__email=USER_EMAIL)
        .order_by("ret__unit__name", "ret__period__starts_on", "position")
        .values_list(
            "ret__unit__name",
            "ret__period__starts_on",
            "position",
            "registration_number",
            "borough__name",
            "role__code",
            "agency_name",
            "start_date",
            "end_date",
            "hourly_pay_rate",
            "pqe_years",
            "previous_employer__name",
            "left_previous_on",
        )
    )


def test_small_run_builds_the_national_structure(db):
    summary = small()

    assert Region.objects.count() == 9
    assert Borough.objects.count() == 153
    assert Borough.objects.filter(region__code="E12000007").count() == 33  # London's real ones, loaded
    invented = Borough.objects.filter(organisation__slug__startswith=PREFIX)
    assert invented.count() == 120
    assert all(re.fullmatch(r"E(06|08|10)9\d{5}", b.gss_code) for b in invented)
    assert all(re.fullmatch(r"\d{3}", b.dfe_code) for b in invented)
    assert len(set(Borough.objects.values_list("dfe_code", flat=True))) == 153
    assert ReportingUnit.objects.count() == 153
    assert (summary.authorities, summary.regions, summary.periods) == (153, 9, 36)

    per_region = ReportingPeriod.objects.values("region").annotate(n=Count("id"))
    assert sorted(p["n"] for p in per_region) == [4] * 9
    assert synthetic_returns().count() == 153 * 4 == summary.returns
    assert set(synthetic_returns().values_list("status", flat=True)) == {Return.Status.ACCEPTED}
    assert not ReportingUnit.objects.annotate(n=Count("returns")).exclude(n=4).exists()
    assert not User.objects.get(email=USER_EMAIL).is_active


def test_live_assignments_follow_the_scale(db):
    summary = small(scale=0.05)
    last = ReportingPeriod.objects.order_by("-starts_on").first().starts_on
    live = Assignment.objects.filter(ret__period__starts_on=last, end_date__isnull=True)
    # 7,000 live nationally at scale 1 (1,300 in London)
    assert 250 <= live.count() <= 450
    assert 40 <= live.filter(ret__period__region__code="E12000007").count() <= 90
    assert summary.live_at_end == live.count()
    assert summary.rows == Assignment.objects.count()


def test_assignments_are_carried_forward_quarter_to_quarter(db):
    small()
    carried = Assignment.objects.filter(carried_from__isnull=False).select_related(
        "carried_from__ret__period", "ret__period"
    )
    assert carried.count() > 100
    for row in carried[:200]:
        origin = row.carried_from
        assert origin.registration_number == row.registration_number
        assert origin.start_date == row.start_date
        assert origin.ret.unit_id == row.ret.unit_id
        assert origin.ret.period.ends_on + timedelta(days=1) == row.ret.period.starts_on
        assert origin.end_date is None  # only open rows carry on
    first = ReportingPeriod.objects.order_by("starts_on").first().starts_on
    assert not Assignment.objects.filter(ret__period__starts_on=first, carried_from__isnull=False).exists()


def test_cross_borough_cases_are_there_for_the_rules_to_find(db):
    summary = small()
    overlapping = [
        number
        for number, worker_spells in spells().items()
        if any(a[0] != b[0] and a[1] <= b[2] and b[1] <= a[2] for a in worker_spells for b in worker_spells if a < b)
    ]
    assert len(overlapping) >= 3
    assert summary.overlaps >= 3

    cool_offs = [
        row
        for row in Assignment.objects.filter(left_previous_on__isnull=False).select_related("ret__period")
        if row.previous_employer_id != row.borough_id
        and row.start_date - row.left_previous_on < timedelta(days=row.ret.period.cool_off_months * 30)
    ]
    assert cool_offs
    assert Assignment.objects.filter(pqe_years__lt=3).exists()
    rows = Assignment.objects.count()
    assert 0 < Assignment.objects.filter(registration_number__startswith="SW9").count() == rows

    # The leavers register: about 15% of permanent staff a year, kept as the daily purge keeps them, some
    # of them working as agency staff in the region afterwards.
    first = ReportingPeriod.objects.order_by("starts_on").values_list("starts_on", flat=True).first()
    permanent = WorkforceLine.objects.filter(ret__period__starts_on=first).aggregate(n=Sum("permanent_headcount"))["n"]
    assert 0.12 <= summary.leavers / permanent <= 0.19  # a year of history
    assert 0 < summary.leavers_kept == Leaver.objects.count() < summary.leavers
    day_after = services._quarter_end(summary.last_quarter) + timedelta(days=1)
    assert not Leaver.objects.filter(leaving_date__lt=kept_since(day_after)).exists()
    assert Leaver.objects.filter(leaving_date__lt=kept_since(day_after) + timedelta(days=31)).exists()
    assert Leaver.objects.filter(registration_number__startswith="SW9").count() == summary.leavers_kept
    numbers = Leaver.objects.values("registration_number")
    assert Assignment.objects.filter(registration_number__in=numbers).exists()


def test_the_same_seed_makes_the_same_history(db):
    one_region = {"scale": 0.05, "regions": ["North East"], "replace": True}  # one region is enough to compare
    small(seed=11, **one_region)
    first = fingerprint()
    small(seed=11, **one_region)
    assert fingerprint() == first
    small(seed=12, **one_region)
    assert fingerprint() != first


def test_a_second_run_is_refused_without_replace(db):
    out = StringIO()
    call_command("generate_synthetic_history", "--years=1", "--scale=0.01", stdout=out)
    assert "153 authorities" in out.getvalue()
    assert "accepted returns" in out.getvalue()
    returns = synthetic_returns().count()

    with pytest.raises(CommandError, match="--replace"):
        call_command("generate_synthetic_history", "--years=1", "--scale=0.01", stdout=StringIO())
    assert synthetic_returns().count() == returns

    call_command(
        "generate_synthetic_history", "--years=1", "--scale=0.01", "--regions=North East", "--replace", stdout=out
    )
    assert synthetic_returns().count() == synthetic_returns().filter(period__region__name="North East").count() > 0


def test_regions_can_be_limited(db):
    summary = small(regions=["London", "E12000001"])
    assert summary.regions == 2
    assert set(ReportingPeriod.objects.values_list("region__name", flat=True)) == {"London", "North East"}
    with pytest.raises(ValueError, match="No region called atlantis"):
        small(regions=["Atlantis"], replace=True)


def test_replace_leaves_real_and_demo_data_alone(db):
    load_london_authorities(csv_path=settings.AUTHORITIES_CSV)
    services.ensure_reporting_units()
    person = User.objects.create_user(email="analyst@example.test")
    agency = AgencyFactory(name="Real Agency Ltd")
    camden = Borough.objects.get(gss_code="E09000007")
    unit = camden.reporting_units.get()
    # A real period for the last finished quarter: the history must end before it and lead into it.
    real_period = ReportingPeriod.objects.create(
        region=camden.region,
        starts_on=date(2026, 7, 1),
        ends_on=date(2026, 9, 30),
        opens_on=date(2026, 10, 1),
        deadline=date(2026, 10, 31),
        locks_on=date(2026, 12, 31),
        opened_by=person,
    )
    small()
    assert ReportingPeriod.objects.filter(opened_by__email=USER_EMAIL).latest("starts_on").starts_on == date(2026, 4, 1)
    synthetic_row = Assignment.objects.filter(ret__unit=unit, end_date__isnull=True).latest("ret__period__starts_on")
    real_return = Return.objects.create(unit=unit, period=real_period, created_by=person)
    real_row = Assignment.objects.create(
        ret=real_return,
        position=1,
        borough=camden,
        registration_number="SW123456",
        agency=agency,
        carried_from=synthetic_row,
        previous_employer=camden,
    )

    small(replace=True)

    real_row.refresh_from_db()
    assert real_row.carried_from is None  # the link to the deleted synthetic row is all that went
    assert Return.objects.filter(pk=real_return.pk).exists()
    assert ReportingPeriod.objects.filter(pk=real_period.pk).exists()
    assert User.objects.filter(pk=person.pk).exists()
    assert Agency.objects.filter(pk=agency.pk).exists()
    assert Borough.objects.filter(region__code="E12000007").count() == 33
    assert ReportingUnit.objects.filter(pk=unit.pk).exists()
    assert synthetic_returns().count() == 153 * 4

    delete_synthetic()
    assert not synthetic_returns().exists()
    assert not Borough.objects.filter(organisation__slug__startswith=PREFIX).exists()
    assert Borough.objects.count() == 33
    assert Region.objects.count() == 1
    assert Assignment.objects.filter(pk=real_row.pk).exists()


def test_each_year_of_history_has_an_illustrative_card_unless_a_real_one_covers_it(db):
    from rates.models import RateCard, RoleCategory
    from tests.factories import user_with_role
    from tests.rates.helpers import publish_card

    load_london_authorities(csv_path=settings.AUTHORITIES_CSV)
    london = Region.objects.get(name="London")
    real = publish_card(
        london, user_with_role("regional_analyst", london.organisation), effective_from=date(2026, 4, 1)
    )
    small(years=2, regions=["London", "North East"])

    synthetic = RateCard.objects.filter(created_by__email=USER_EMAIL).order_by("region__name", "effective_from")
    spans = [(c.region.name, c.effective_from, c.effective_to, c.is_demo) for c in synthetic]
    # Quarters from 2024-25 Q3 to 2026-27 Q2: three financial years, of which London's last has a real card.
    assert spans == [
        ("London", date(2024, 4, 1), date(2025, 3, 31), True),
        ("London", date(2025, 4, 1), date(2026, 3, 31), True),
        ("North East", date(2024, 4, 1), date(2025, 3, 31), True),
        ("North East", date(2025, 4, 1), date(2026, 3, 31), True),
        ("North East", date(2026, 4, 1), date(2027, 3, 31), True),
    ]
    assert all(c.lines.count() == RoleCategory.objects.count() for c in synthetic)
    assert synthetic.filter(status=RateCard.Status.PUBLISHED).count() == 1  # North East's current year
    delete_synthetic()
    assert list(RateCard.objects.values_list("pk", flat=True)) == [real.pk]


def test_returning_workers_are_sometimes_bid_up_and_references_carry_contacts(db):
    from dashboards.figures import Scope, bidding
    from references.models import Reference

    summary = small(years=2, regions=["London", "North East"])
    london = Region.objects.get(code="E12000007")
    scope = Scope(summary.first_quarter, summary.last_quarter, region=london)
    assert summary.bid_up > 0
    rises, workers = bidding.count_rises(scope, bidding.DEFAULT)
    assert rises > 0 and workers > 0  # the bidding-up page has something to find
    made = Reference.objects.filter(author__email=USER_EMAIL)
    assert made.count() == summary.references > 0
    assert not made.filter(referee_email="").exists() and not made.filter(candidate_phone="").exists()
    assert all(r.registration_number.startswith("SW9") for r in made)
    delete_synthetic()
    assert not Reference.objects.filter(author__email=USER_EMAIL).exists()
