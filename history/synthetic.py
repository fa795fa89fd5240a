"""Synthetic national history of quarterly returns, for benchmarks and demos (DESIGN.md section 8).

``generate()`` builds England's 153 authorities in 9 regions (London's 33 are the real ones from the
boroughs table; the other 120 are invented), about 200 agencies, one reporting unit per authority, a
period per region and quarter, and for every unit and quarter an accepted return whose assignment rows
behave like the real thing: about 7,000 assignments live nationally at a time (1,300 in London) at
``scale`` 1, each lasting 3 to 18 months and carried forward quarter to quarter (``carried_from``), with
pay mostly within the caps, some breaches (signed off where a rate card covers the date), some PQE under
3 years, and a few cross-borough cases for the rules to find: the same worker in two authorities at once,
and agency starts within the cool-off after leaving another authority's permanent post. A worker who comes
back for another assignment keeps roughly their last rate, and now and then another borough bids it up
(8-22%, never above the cap) to win them: the signs of bidding up the region looks for.

Every return also reports its permanent leavers (the leavers register, ``returns.leavers``) at about 15% of
permanent staff a year; a tenth of them turn up later as agency workers in the region, some within the
cool-off, for the register's check to find. At the end only the leavers the daily purge would keep the day
after the last quarter remain (``returns.leavers.kept_since``), so the register is the size a live one is.

It is fast because it bypasses the services and the audit log: rows are built in memory and written with
``bulk_create``, a quarter at a time, with no query per row.

What is synthetic, so that ``delete_synthetic()`` never touches anything else:

- organisations whose slug starts with ``synthetic-`` (the invented authorities, the agencies, and the
  programme teams of regions made here), and the boroughs, agencies and regions that belong to them;
- invented authorities' GSS codes: E06, E08 or E10, then ``9`` and five digits (real codes have ``000``);
- the inactive user ``synthetic-history@pledge.test``, who opened every synthetic period, made every
  synthetic return and signed off every synthetic breach;
- workers' registration numbers ``SW9`` and six digits (permanent leavers' too);
- references written by that user (a modest number on the current template, with referees' and candidates'
  contacts, a few of them shared for the region's shared-contacts page to find).

Real and demo data are left alone: London's boroughs (and their reporting units) are reused, not made, and
the history ends before any period that already exists in a region it covers.
"""

import random
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max, ProtectedError, Q
from django.utils import timezone
from django.utils.text import slugify

from agencies.models import Agency
from boroughs.models import Borough, Region
from pledge_portal.accounts.models import Organisation, User
from pledge_portal.accounts.roles import OrganisationKind
from rates.models import BreachSignOff, RateCard, RateCardLine, RoleCategory
from returns.leavers import kept_since
from returns.models import Assignment, Finding, Leaver, ReportingPeriod, ReportingUnit, Return, WorkforceLine
from returns.services import _quarter_end, ensure_reporting_units

PREFIX = "synthetic-"
USER_EMAIL = "synthetic-history@pledge.test"
BATCH = 2000
LONDON_CODE = "E12000007"


@dataclass(frozen=True)
class RegionSpec:
    code: str
    name: str
    live: int  # assignments live at the end of the history, at scale 1
    kinds: tuple[int, int, int] = (0, 0, 0)  # invented authorities: metropolitan, county, unitary


REGIONS = (
    RegionSpec("E12000001", "North East", 450, (5, 0, 7)),
    RegionSpec("E12000002", "North West", 1050, (15, 1, 7)),
    RegionSpec("E12000003", "Yorkshire and The Humber", 650, (9, 1, 5)),
    RegionSpec("E12000004", "East Midlands", 500, (0, 4, 6)),
    RegionSpec("E12000005", "West Midlands", 800, (7, 3, 4)),
    RegionSpec("E12000006", "East of England", 750, (0, 5, 6)),
    RegionSpec(LONDON_CODE, "London", 1300),
    RegionSpec("E12000008", "South East", 1000, (0, 5, 14)),
    RegionSpec("E12000009", "South West", 500, (0, 2, 14)),
)

# Caps in force from April 2026 (London's demo figures), £/hour: (limited company and umbrella, PAYE).
# Other regions' caps are a little lower; earlier years' are lower by 2.5% a year.
NOMINAL_CAPS = {
    "social-worker": (36.40, 31.85),
    "senior-social-worker": (39.00, 34.10),
    "advanced-practitioner": (41.60, 36.40),
    "team-manager": (45.75, 40.00),
    "iro-cp-chair": (42.65, 37.30),
}
CAPS_DATE = date(2026, 4, 1)
# Share of permanent staff by role, in RoleCategory order.
PERMANENT_MIX = (0.52, 0.24, 0.1, 0.09, 0.05)
# Permanent staff who leave in a year (children's social work runs at about 15%), as a quarter's share; and
# the share of leavers who later work as agency workers in the same region.
ANNUAL_TURNOVER = 0.15
QUARTERLY_LEAVING = 1 - (1 - ANNUAL_TURNOVER) ** 0.25
LEAVERS_TURNING_LOCUM = 0.1

_PLACE_START = (
    "Ash", "Bram", "Brook", "Calder", "Chal", "Crane", "Dun", "Elm", "Fern", "Gale", "Hart", "Holl", "Kes",
    "Lang", "Mar", "Mill", "Nor", "Oak", "Pen", "Red", "Roth", "Sal", "Stan", "Thorn", "Wel", "Whit", "Wil",
    "Wyn", "Ald", "Bel", "Cole", "Dray", "Ever", "Fal", "Glen", "Hal", "Ives", "Kel", "Lyn", "Moss", "Ned",
    "Orm", "Pel", "Quen", "Rav", "Sedge", "Tam", "Ull", "Ver", "Wend",
)  # fmt: skip
_PLACE_END = (
    "bury", "ford", "ham", "ley", "wick", "thorpe", "field", "mouth", "stow", "chester", "minster", "dale",
    "borough", "by", "combe", "well", "ton", "worth", "mere", "bridge",
)  # fmt: skip
_AGENCY_WORDS = (
    "Acorn", "Beacon", "Bluebell", "Bridgewater", "Cardinal", "Cedar", "Compass", "Crest", "Evergreen",
    "Falcon", "Foundation", "Harbour", "Heron", "Horizon", "Juniper", "Keystone", "Kingfisher", "Lantern",
    "Linden", "Meridian", "Northgate", "Oakleaf", "Orchard", "Pathway", "Pinnacle", "Quayside", "Riverside",
    "Rowan", "Sterling", "Summit", "Thistle", "Unity", "Vantage", "Willow", "Wren",
)  # fmt: skip
_AGENCY_KINDS = ("Social Care", "Social Work", "Care Professionals", "Locums", "Recruitment", "Resourcing")
# Role weights (RoleCategory order) by years of post-qualifying experience.
_ROLE_WEIGHTS = ((3, (1, 0, 0, 0, 0)), (5, (7, 3, 0, 0, 0)), (10, (25, 50, 15, 10, 0)), (99, (15, 30, 25, 20, 10)))


class SyntheticHistoryExists(Exception):
    """Synthetic history is already in the database; delete it first."""


@dataclass
class Summary:
    regions: int = 0
    authorities: int = 0
    units: int = 0
    agencies: int = 0
    periods: int = 0
    returns: int = 0
    rows: int = 0
    live_at_end: int = 0
    london_live_at_end: int = 0
    overlaps: int = 0
    cool_offs: int = 0
    leavers: int = 0  # reported over the whole history
    leavers_kept: int = 0  # still on the register at the end, as the purge leaves it
    low_pqe: int = 0
    breaches: int = 0
    bid_up: int = 0  # returning workers whose new borough raised their rate to win them
    references: int = 0
    shared_referees: int = 0  # references whose referee's contact is planted on another's
    first_quarter: date | None = None
    last_quarter: date | None = None
    seconds: float = 0.0


def synthetic_user() -> User:
    """The clearly synthetic, inactive user who made everything here. Never deleted: the audit log may
    name it."""
    user = User.objects.filter(email=USER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(email=USER_EMAIL, full_name="Synthetic history (not a person)")
        user.is_active = False
        user.save(update_fields=["is_active"])
    return user


def synthetic_exists() -> bool:
    return (
        Organisation.objects.filter(slug__startswith=PREFIX).exists()
        or ReportingPeriod.objects.filter(opened_by__email=USER_EMAIL).exists()
    )


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _previous_quarter(start: date) -> date:
    return date(start.year - 1, 10, 1) if start.month == 1 else date(start.year, start.month - 3, 1)


def _history_quarters(region_ids: list[int], count: int, today: date) -> list[date]:
    """``count`` quarters ending with the last finished one, moved earlier until no existing period of these
    regions falls among them, so the history never clashes with (and leads into) real or demo periods."""
    existing = sorted(
        set(
            ReportingPeriod.objects.filter(region_id__in=region_ids)
            .exclude(opened_by__email=USER_EMAIL)
            .values_list("starts_on", flat=True)
        )
    )
    end = _previous_quarter(_quarter_start(today))
    while True:
        quarters = [end]
        for _ in range(count - 1):
            quarters.append(_previous_quarter(quarters[-1]))
        quarters.reverse()
        clashes = [s for s in existing if quarters[0] <= s <= end]
        if not clashes:
            return quarters
        end = _previous_quarter(_quarter_start(clashes[0]))


def _select_regions(names: list[str] | None) -> list[RegionSpec]:
    if not names:
        return list(REGIONS)
    wanted = {n.strip().lower() for n in names if n.strip()}
    chosen = [r for r in REGIONS if r.code.lower() in wanted or r.name.lower() in wanted]
    unknown = wanted - {r.code.lower() for r in chosen} - {r.name.lower() for r in chosen}
    if unknown:
        raise ValueError(
            f"No region called {', '.join(sorted(unknown))}. Choose from: {', '.join(r.name for r in REGIONS)}."
        )
    return chosen


# --- Structure: regions, authorities, agencies, units ------------------------------------------------


def _place_names(rng: random.Random, taken: set[str]) -> tuple[list[str], list[str]]:
    """Invented towns ("Thornbury") and counties ("Fernshire"), in a fixed order, none already taken."""
    towns = [a + b for a in _PLACE_START for b in _PLACE_END]
    shires = [f"{a}shire" for a in _PLACE_START if a[-1] not in "hs"]
    rng.shuffle(towns)
    rng.shuffle(shires)
    return [n for n in towns if n not in taken], [n for n in shires if n not in taken]


def _authority_names(
    spec: RegionSpec, places: list[str], shires: list[str], taken: set[str]
) -> list[tuple[str, str, str]]:
    """(name, short name, GSS prefix) for the region's invented authorities."""
    metropolitan, county, unitary = spec.kinds
    made = []
    for prefix, count in (("E08", metropolitan), ("E10", county), ("E06", unitary)):
        for i in range(count):
            if prefix == "E10":
                place = shires.pop()
                name = f"{place} County Council"
            elif prefix == "E08":
                place = places.pop()
                name = f"{place} {'City' if i % 4 == 0 else 'Metropolitan Borough'} Council"
            else:
                place = places.pop()
                name = f"{place} {'Borough ' if i % 3 == 0 else ''}Council"
            if name in taken:
                continue
            taken.add(name)
            made.append((name, place, prefix))
    return made


def _gss_codes(prefix: str):
    """E06 (unitary), E08 (metropolitan) or E10 (county), then 9 and five digits: no real code looks so."""
    return (f"{prefix}9{n:05d}" for n in range(1, 100000))


def _free_codes(candidates, used: set[str]):
    for code in candidates:
        if code not in used:
            used.add(code)
            yield code


def _make_structure(specs: list[RegionSpec], progress: Callable[[str], None]) -> list[Region]:
    from boroughs.services import load_london_authorities

    regions = []
    taken_names = set(Borough.objects.values_list("name", flat=True)) | set(
        ReportingUnit.objects.values_list("name", flat=True)
    )
    places, shires = _place_names(random.Random("synthetic authorities"), taken_names)
    used_gss = set(Borough.objects.values_list("gss_code", flat=True))
    used_dfe = set(Borough.objects.values_list("dfe_code", flat=True))
    gss = {p: _free_codes(_gss_codes(p), used_gss) for p in ("E06", "E08", "E10")}
    # Real DfE LA codes run from 201 to 941; invented ones come from the unused hundreds first.
    dfe = _free_codes(
        [f"{n:03d}" for n in (*range(100, 200), *range(950, 1000), *range(100), *range(200, 950))], used_dfe
    )
    for spec in specs:
        if spec.code == LONDON_CODE and not Borough.objects.filter(region__code=LONDON_CODE).exists():
            csv_path = Path(settings.AUTHORITIES_CSV)
            if not csv_path.exists():
                raise ValueError("London has no authorities yet. Load them first: manage.py load_authorities")
            progress("London's authorities are not loaded: loading them from the shared list first.")
            load_london_authorities(csv_path=csv_path)
        region = Region.objects.filter(Q(code=spec.code) | Q(name=spec.name)).first()
        if region is None:
            team = Organisation.objects.create(
                kind=OrganisationKind.REGIONAL_TEAM,
                name=f"{spec.name} programme team (synthetic)",
                slug=f"{PREFIX}{slugify(spec.name)}-programme-team",
            )
            region = Region.objects.create(code=spec.code, name=spec.name, organisation=team)
        made = _authority_names(spec, places, shires, taken_names)
        orgs = Organisation.objects.bulk_create(
            Organisation(kind=OrganisationKind.BOROUGH, name=name, slug=f"{PREFIX}{slugify(name)}")
            for name, _, _ in made
        )
        Borough.objects.bulk_create(
            Borough(
                organisation=org,
                region=region,
                name=name,
                short_name=short,
                gss_code=next(gss[prefix]),
                dfe_code=next(dfe),
                pledge_signatory=True,
            )
            for org, (name, short, prefix) in zip(orgs, made, strict=True)
        )
        ensure_reporting_units(region=region)
        regions.append(region)
    return regions


def _make_agencies(count: int) -> list[Agency]:
    rng = random.Random("synthetic agencies")
    names = [f"{w} {k} Ltd" for w in _AGENCY_WORDS for k in _AGENCY_KINDS]
    rng.shuffle(names)
    taken = set(Agency.objects.values_list("name", flat=True))
    names = [n for n in names if n not in taken][:count]
    orgs = Organisation.objects.bulk_create(
        Organisation(kind=OrganisationKind.AGENCY, name=n, slug=f"{PREFIX}{slugify(n)}") for n in names
    )
    return Agency.objects.bulk_create(Agency(organisation=org, name=n) for org, n in zip(orgs, names, strict=True))


# --- History ----------------------------------------------------------------------------------------

# Assignment rows are most of the data. They are written with one prepared INSERT run over each quarter's
# rows (``executemany``), with ids handed out here so that the next quarter can point ``carried_from`` at
# them: bulk_create spent three quarters of the run preparing values field by field.
_ROW_FIELDS = (
    "id", "ret", "position", "borough", "registration_number", "role", "agency", "agency_name",
    "engagement_type", "start_date", "end_date", "hourly_pay_rate", "hourly_charge_rate", "project_team",
    "pqe_years", "previous_employer", "left_previous_on", "reference_received", "notice_period_weeks",
    "breach_sign_off", "carried_from",
)  # fmt: skip


def _insert_rows_sql() -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Assignment._meta.get_field(name).column) for name in _ROW_FIELDS)
    placeholders = ", ".join(["%s"] * len(_ROW_FIELDS))
    return f"INSERT INTO {quote(Assignment._meta.db_table)} ({columns}) VALUES ({placeholders})"


def _reserve_row_ids() -> int:
    """The first free assignment id. Other writers are shut out of the table until the transaction ends, so
    the ids handed out here cannot be taken meanwhile; the id sequence is moved past them afterwards."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {connection.ops.quote_name(Assignment._meta.db_table)} IN EXCLUSIVE MODE")
    return (Assignment.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _reset_row_ids() -> None:
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Assignment]):
            cursor.execute(sql)


class _Spell:
    """One assignment of one worker, from start to end, across the quarters it is live in."""

    __slots__ = (
        "worker", "qualified_on", "borough_id", "role", "agency", "engagement", "start", "end", "pay", "charge",
        "project_team", "pqe", "previous_employer_id", "left_previous_on", "reference", "notice", "sign_off",
        "last", "planted",
    )  # fmt: skip


@dataclass
class _Unit:
    id: int
    borough_ids: list[int]
    weight: float
    target: float = 0.0
    permanent: list[int] = field(default_factory=list)
    spells: list = field(default_factory=list)


@dataclass
class _Region:
    region: Region
    units: list[_Unit]
    borough_ids: list[int]
    agencies: list[Agency]
    agency_weights: list[float]
    cards: list  # (effective_from, effective_to, card, {role_id: (inclusive, paye)})
    live: float
    cool_off_months: int
    # (registration number, free from, qualified on, last agency pay and borough: None for a permanent leaver)
    free: list = field(default_factory=list)
    workers: list = field(default_factory=list)  # registration numbers of the region's workers, for references


class _History:
    def __init__(self, *, regions: list[_Region], quarters: list[date], user: User, seed: int, summary: Summary):
        self.rng = random.Random(seed)
        self.leaver_rng = random.Random(f"{seed} leavers")  # its own, so the rows are drawn as before
        self.regions, self.quarters, self.user, self.summary = regions, quarters, user, summary
        self.roles = list(RoleCategory.objects.order_by("order"))
        self.role_index = {role.pk: i for i, role in enumerate(self.roles)}
        self.tz = timezone.get_current_timezone()
        self.next_worker = 1
        self.next_row_id = _reserve_row_ids()
        self.cap_cache: dict = {}

    # Workers and their terms -------------------------------------------------------------------------

    def _new_worker(self, start: date) -> tuple[str, date]:
        number = f"SW9{self.next_worker:06d}"
        self.next_worker += 1
        if self.rng.random() < 0.03:
            years = self.rng.uniform(1.0, 2.9)
            self.summary.low_pqe += 1
        else:
            years = self.rng.triangular(3.0, 30.0, 7.0)
        return number, start - timedelta(days=round(years * 365.25))

    def _role(self, pqe: float):
        for limit, weights in _ROLE_WEIGHTS:
            if pqe < limit:
                return self.rng.choices(self.roles, weights[: len(self.roles)])[0]
        return self.roles[0]

    def _caps(self, region: _Region, role, engagement: str, start: date) -> tuple[float, object]:
        key = (region.region.pk, role.pk, start)
        if key not in self.cap_cache:
            found = None
            for effective_from, effective_to, card, lines in region.cards:
                if effective_from <= start and (effective_to is None or start <= effective_to) and role.pk in lines:
                    found = (card, lines[role.pk])
            if found:
                card, (inclusive, paye) = found
            else:
                card = None
                inclusive, paye = NOMINAL_CAPS.get(role.code, (36.0, 31.5))
                factor = (1.0 if region.region.code == LONDON_CODE else 0.94) / 1.025 ** (
                    (CAPS_DATE - start).days / 365.25
                )
                inclusive, paye = inclusive * factor, paye * factor
            self.cap_cache[key] = (float(inclusive), float(paye), card)
        inclusive, paye, card = self.cap_cache[key]
        return (paye if engagement == "paye" else inclusive), card

    def _spell(self, region: _Region, unit: _Unit, start: date, months: float, *, overlap=None, cool_off=False):
        rng = self.rng
        s = _Spell()
        s.planted = overlap is not None
        if overlap is not None:
            s.worker, s.qualified_on = overlap.worker, overlap.qualified_on
        prior = None  # the worker's last pay and borough, when they come back for another assignment
        if overlap is None and region.free and rng.random() < 0.35:
            j = rng.randrange(len(region.free))
            number, free_from, qualified_on, last_pay, last_borough = region.free[j]
            if free_from + timedelta(days=7) <= start:
                region.free[j] = region.free[-1]
                region.free.pop()
                s.worker, s.qualified_on = number, qualified_on
                prior = None if last_pay is None else (float(last_pay), last_borough)  # a leaver has no agency pay
            else:
                s.worker, s.qualified_on = self._new_worker(start)
                region.workers.append(s.worker)
        elif overlap is None:
            s.worker, s.qualified_on = self._new_worker(start)
            region.workers.append(s.worker)
        s.start = start
        s.end = start + timedelta(days=max(91, round(months * 30.44)))
        s.borough_id = rng.choice(unit.borough_ids)
        pqe = (start - s.qualified_on).days / 365.25
        s.pqe = Decimal(f"{max(pqe, 0.0):.1f}")
        s.role = overlap.role if overlap is not None else self._role(pqe)
        s.agency = rng.choices(region.agencies, region.agency_weights)[0]
        s.engagement = rng.choices(("umbrella", "limited-company", "paye"), (45, 35, 20))[0]
        cap, card = self._caps(region, s.role, s.engagement, start)
        breach = rng.random() < 0.02
        pay = cap * (rng.uniform(1.01, 1.10) if breach else rng.uniform(0.86, 1.0))
        if prior is not None and not breach:
            # A returning worker's rate follows their last one: a little up or down on renewal, and now and then
            # bid up by another borough to win them (the sign the region looks for), never above the cap.
            last_pay, last_borough = prior
            if last_borough != s.borough_id and rng.random() < 0.25:
                pay = min(cap, last_pay * rng.uniform(1.08, 1.22))
                self.summary.bid_up += 1
            else:
                pay = min(cap, last_pay * rng.uniform(0.97, 1.05))
        s.pay = Decimal(f"{pay:.2f}")
        s.charge = Decimal(f"{pay * rng.uniform(1.28, 1.45 if s.engagement == 'paye' else 1.32):.2f}")
        s.project_team = rng.random() < 0.05
        s.previous_employer_id, s.left_previous_on = None, None
        others = [b for b in region.borough_ids if b not in unit.borough_ids]
        if cool_off and others:
            s.previous_employer_id = rng.choice(others)
            s.left_previous_on = start - timedelta(days=rng.randint(14, region.cool_off_months * 30 - 14))
            self.summary.cool_offs += 1
        elif others and rng.random() < 0.12:
            s.previous_employer_id = rng.choice(others)
            s.left_previous_on = start - timedelta(days=rng.randint(200, 1500))
        s.reference = True if rng.random() < 0.97 else rng.choice((False, None))
        s.notice = rng.choices((4, 2, 6, 8), (88, 4, 5, 3))[0]
        s.sign_off, s.last = None, None
        if breach:
            self.summary.breaches += 1
            if card is not None:
                s.sign_off = BreachSignOff(
                    borough_id=s.borough_id,
                    registration_number=s.worker,
                    role_code=s.role.code,
                    engagement_type=s.engagement,
                    assignment_start=start,
                    hourly_rate=s.pay,
                    cap=Decimal(f"{cap:.2f}"),
                    excess=s.pay - Decimal(f"{cap:.2f}"),
                    rate_card=card,
                    reason="Synthetic history: a hard-to-fill post.",
                    signed_by=self.user,
                    signed_by_title="Director of Children's Services",
                    chief_executive="Synthetic Chief Executive",
                    signed_on=start,
                )
        return s

    def _months(self) -> float:
        return self.rng.triangular(3.0, 18.0, 6.0)

    # The quarters ------------------------------------------------------------------------------------

    def warm_start(self) -> None:
        """Assignments already running when the history begins, so the first quarter is not empty."""
        first = self.quarters[0]
        for region in self.regions:
            for unit in region.units:
                for _ in range(self._round(self._target(unit, 0))):
                    months = self._months()
                    age = self.rng.uniform(0, months * 30.44 - 1)
                    start = first - timedelta(days=round(age))
                    unit.spells.append(self._spell(region, unit, start, months))

    def _round(self, value: float) -> int:
        whole = int(value)
        return whole + (1 if self.rng.random() < value - whole else 0) if value > 0 else 0

    def _target(self, unit: _Unit, index: int) -> float:
        # Agency reliance grows over the decade, to today's figure at the end.
        trend = 0.85 + 0.15 * index / max(1, len(self.quarters) - 1)
        return unit.target * trend

    def run(self, periods: dict, progress: Callable[[str], None]) -> None:
        self.warm_start()
        for index, starts_on in enumerate(self.quarters):
            self._quarter(index, starts_on, _quarter_end(starts_on), periods)
            if index % 4 == 3 or index == len(self.quarters) - 1:
                progress(
                    f"  {starts_on:%Y-%m}: {index + 1} of {len(self.quarters)} quarters, "
                    f"{self.summary.rows:,} rows so far"
                )

    def _quarter(self, index: int, starts_on: date, ends_on: date, periods: dict) -> None:
        rng = self.rng
        returns, lines, sign_offs, made = [], [], [], []
        days = (ends_on - starts_on).days
        for region in self.regions:
            new_starts = max(1.0, sum(self._target(u, index) for u in region.units) / 3)
            p_overlap, p_cool_off = max(0.004, 0.5 / new_starts), max(0.005, 0.5 / new_starts)
            period = periods[(region.region.pk, starts_on)]
            opened = datetime.combine(period.opens_on, datetime.min.time(), tzinfo=self.tz)
            for unit in region.units:
                alive = sum(1 for s in unit.spells if s.end > ends_on)
                need = self._round(self._target(unit, index) * (1 + rng.gauss(0, 0.04)) - alive)
                new = []
                for _ in range(need):
                    start = starts_on + timedelta(days=rng.randint(0, days))
                    overlap = None
                    if rng.random() < p_overlap:
                        live = [
                            s
                            for other in region.units
                            if other is not unit
                            for s in other.spells
                            if s.end > start + timedelta(days=14) and s.start < start
                        ]
                        if live:
                            overlap = rng.choice(live)
                            self.summary.overlaps += 1
                    cool_off = overlap is None and rng.random() < p_cool_off
                    new.append(self._spell(region, unit, start, self._months(), overlap=overlap, cool_off=cool_off))
                new.sort(key=lambda s: s.start)
                unit.spells.extend(new)
                sign_offs.extend(s.sign_off for s in unit.spells if s.sign_off is not None and s.sign_off.pk is None)
                ret = self._return(unit, period, opened, starts_on, ends_on)
                returns.append(ret)
                made.append((region, unit, ret))
        Return.objects.bulk_create(returns, batch_size=BATCH)
        BreachSignOff.objects.bulk_create(sign_offs, batch_size=BATCH)
        leavers = [leaver for region, unit, ret in made for leaver in self._leavers(region, unit, ret, starts_on, days)]
        Leaver.objects.bulk_create(leavers, batch_size=BATCH)
        self.summary.leavers += len(leavers)
        rows = []
        for region, unit, ret in made:
            for position, s in enumerate(unit.spells, start=1):
                row_id = self.next_row_id
                self.next_row_id += 1
                rows.append(
                    (
                        row_id,
                        ret.pk,
                        position,
                        s.borough_id,
                        s.worker,
                        s.role.pk,
                        s.agency.pk,
                        s.agency.name,
                        s.engagement,
                        s.start,
                        s.end if s.end <= ends_on else None,
                        s.pay,
                        s.charge,
                        s.project_team,
                        s.pqe,
                        s.previous_employer_id,
                        s.left_previous_on,
                        s.reference,
                        s.notice,
                        s.sign_off.pk if s.sign_off is not None else None,
                        s.last,
                    )
                )
                s.last = row_id
            lines.extend(self._workforce(ret, unit, ends_on))
            # Assignments that ended this quarter are not carried; their workers may come back later.
            still = []
            for s in unit.spells:
                if s.end > ends_on:
                    still.append(s)
                elif not s.planted:
                    region.free.append((s.worker, s.end, s.qualified_on, s.pay, s.borough_id))
            unit.spells = still
        for region in self.regions:
            if len(region.free) > 4 * region.live + 50:
                rng.shuffle(region.free)
                del region.free[int(3 * region.live) + 50 :]
        with connection.cursor() as cursor:
            cursor.executemany(_insert_rows_sql(), rows)
        WorkforceLine.objects.bulk_create(lines, batch_size=BATCH)
        self.summary.returns += len(returns)
        self.summary.rows += len(rows)

    def _leavers(self, region: _Region, unit: _Unit, ret: Return, starts_on: date, days: int) -> list[Leaver]:
        """The permanent staff who left the unit in the quarter; a few become agency workers in the region
        later (``region.free``), and those who start within the cool-off are what the register's check finds."""
        rng = self.leaver_rng
        expected = sum(unit.permanent) * QUARTERLY_LEAVING
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        made = []
        for _ in range(count):
            number = f"SW9{self.next_worker:06d}"
            self.next_worker += 1
            left = starts_on + timedelta(days=rng.randint(0, days))
            made.append(
                Leaver(
                    ret_id=ret.pk,
                    borough_id=rng.choice(unit.borough_ids),
                    registration_number=number,
                    leaving_date=left,
                    role=rng.choices(self.roles, PERMANENT_MIX[: len(self.roles)])[0],
                )
            )
            if rng.random() < LEAVERS_TURNING_LOCUM:
                qualified_on = left - timedelta(days=round(rng.triangular(3.0, 30.0, 8.0) * 365.25))
                region.free.append((number, left, qualified_on, None, None))
        return made

    def _return(self, unit: _Unit, period: ReportingPeriod, opened: datetime, starts_on: date, ends_on: date):
        rng = self.rng
        sent = opened + timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 8))
        spend = 0.0  # charge for 37 hours a week over the days each assignment ran in the quarter
        for s in unit.spells:
            spend += float(s.charge) * 37 / 7 * ((min(s.end, ends_on) - max(s.start, starts_on)).days + 1)
        months = [Decimal(f"{spend / 3 * rng.uniform(0.95, 1.05):.2f}") for _ in range(3)]
        return Return(
            unit_id=unit.id,
            period=period,
            status=Return.Status.ACCEPTED,
            created_by=self.user,
            submitted_at=sent,
            submitted_by=self.user,
            signed_off_at=sent + timedelta(days=rng.randint(1, 5)),
            signed_off_by=self.user,
            accepted_at=sent + timedelta(days=rng.randint(6, 20)),
            accepted_by=self.user,
            agency_spend_month_1=months[0],
            agency_spend_month_2=months[1],
            agency_spend_month_3=months[2],
            project_teams=rng.choices((0, 1, 2), (85, 12, 3))[0],
        )

    def _workforce(self, ret: Return, unit: _Unit, ends_on: date) -> list[WorkforceLine]:
        agency_by_role = [0] * len(self.roles)
        for s in unit.spells:
            if s.end > ends_on:
                agency_by_role[self.role_index[s.role.pk]] += 1
        rng = self.rng
        made = []
        for role, permanent, agency in zip(self.roles, unit.permanent, agency_by_role, strict=False):
            headcount = max(0, round(permanent * rng.uniform(0.96, 1.04)))
            made.append(
                WorkforceLine(
                    ret=ret,
                    role=role,
                    permanent_headcount=headcount,
                    permanent_fte=Decimal(f"{headcount * 0.92:.2f}"),
                    agency_headcount=agency,
                    agency_fte=Decimal(f"{agency * 0.97:.2f}"),
                    vacancies_fte=Decimal(f"{(headcount + agency) * rng.uniform(0.08, 0.2):.2f}"),
                    starters=round(headcount * rng.uniform(0.02, 0.06)),
                    leavers=round(headcount * rng.uniform(0.02, 0.06)),
                )
            )
        return made


REFERENCES_PER_LIVE = 0.25  # references written per live assignment of a region, at the end of the history
SHARED_REFEREE = 0.01  # of references, whose referee's contact is planted on another candidate's reference
SELF_REFEREE = 0.005  # of references, whose referee's contact is the candidate's own


def _make_references(regions: list[_Region], user: User, seed: int, summary: Summary) -> None:
    """A modest number of practice-based references on the current template, issued by the region's
    authorities about its workers, with referees' work contacts and candidates' own, a few of them shared
    (one referee's contact vouching for another candidate, or for the candidate themselves) for the region's
    shared-contacts page to find. Written straight to the table, like the rows."""
    from references.contacts import contact_columns
    from references.models import Reference
    from references.selectors import current_template

    template = current_template()
    if template is None:
        return
    rng = random.Random(f"synthetic references {seed}")
    retain_until = timezone.localdate() + timedelta(days=settings.REFERENCE_RETENTION_DAYS)
    names = dict(Borough.objects.filter(region__in=[r.region for r in regions]).values_list("pk", "short_name"))
    made = []
    for region in regions:
        workers = region.workers
        if not workers:
            continue
        for n in range(round(region.live * REFERENCES_PER_LIVE)):
            worker = rng.choice(workers)
            borough_id = rng.choice(region.borough_ids)
            place = slugify(names.get(borough_id, "borough"))
            answers = {
                "referee_email": f"referee.{region.region.pk}.{n}@{place}.gov.test",
                "referee_phone": f"020 7{region.region.pk % 10}{n:06d}"[:13],
            }
            own_email, own_phone = f"{worker.lower()}@candidate.test", f"07700 9{int(worker[3:]) % 100000:05d}"
            roll = rng.random()
            if roll < SHARED_REFEREE and made:
                answers["referee_email"] = rng.choice(made[-50:]).answers["referee_email"]
                summary.shared_referees += 1
            elif roll < SHARED_REFEREE + SELF_REFEREE:
                answers["referee_phone"] = own_phone
                summary.shared_referees += 1
            made.append(
                Reference(
                    source=Reference.Source.COMPLETED,
                    template=template,
                    registration_number=worker,
                    candidate_name="Synthetic candidate",
                    issuing_borough_id=borough_id,
                    agency=rng.choices(region.agencies, region.agency_weights)[0],
                    answers=answers,
                    **contact_columns(answers, candidate_email=own_email, candidate_phone=own_phone),
                    author=user,
                    retain_until=retain_until,
                )
            )
    Reference.objects.bulk_create(made, batch_size=BATCH)
    summary.references = len(made)


def _financial_year(day: date) -> date:
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def _make_cards(regions: list[Region], quarters: list[date], user: User, today: date) -> None:
    """A rate card for each financial year of the history that no card of the region covers yet, with the
    nominal caps of that year (marked as illustrative), so breaches in the history are judged against
    cards as real ones are, and the dashboards meet a realistic number of cards."""
    roles = list(RoleCategory.objects.all())
    for region in regions:
        existing = list(RateCard.objects.in_force().filter(region=region).values_list("effective_from", "effective_to"))
        version = RateCard.objects.filter(region=region).aggregate(m=Max("version"))["m"] or 0
        factor_base = 1.0 if region.code == LONDON_CODE else 0.94
        year = _financial_year(quarters[0])
        while year <= quarters[-1]:
            ends = date(year.year + 1, 3, 31)
            if not any(start <= ends and (end is None or end >= year) for start, end in existing):
                version += 1
                factor = factor_base / 1.025 ** ((CAPS_DATE - year).days / 365.25)
                current = year <= today <= ends
                card = RateCard.objects.create(
                    region=region,
                    version=version,
                    title=f"Synthetic caps {year.year}-{str(year.year + 1)[2:]}",
                    status=RateCard.Status.PUBLISHED if current else RateCard.Status.SUPERSEDED,
                    effective_from=year,
                    effective_to=ends,
                    evidence_note="Synthetic history: illustrative caps, not agreed figures.",
                    is_demo=True,
                    created_by=user,
                    published_at=timezone.now(),
                )
                RateCardLine.objects.bulk_create(
                    RateCardLine(
                        card=card,
                        role=role,
                        inclusive_cap=Decimal(str(round(NOMINAL_CAPS.get(role.code, (36.0, 31.5))[0] * factor, 2))),
                        paye_cap=Decimal(str(round(NOMINAL_CAPS.get(role.code, (36.0, 31.5))[1] * factor, 2))),
                    )
                    for role in roles
                )
            year = date(year.year + 1, 4, 1)


def _regions_for_history(regions: list[Region], specs: list[RegionSpec], scale: float, agencies: list[Agency]):
    rng = random.Random("synthetic shape")
    national = agencies[:25]
    per_region = agencies[25:]
    made = []
    cards_by_region: dict[int, list] = {r.pk: [] for r in regions}
    for card in RateCard.objects.in_force().filter(region__in=regions).prefetch_related("lines"):
        lines = {line.role_id: (line.inclusive_cap, line.paye_cap) for line in card.lines.all() if line.role_id}
        cards_by_region[card.region_id].append((card.effective_from, card.effective_to, card, lines))
    for number, (region, spec) in enumerate(zip(regions, specs, strict=True)):
        units = []
        for unit in ReportingUnit.objects.filter(region=region).prefetch_related("boroughs").order_by("name"):
            ids = sorted(b.pk for b in unit.boroughs.all())
            if ids:
                units.append(_Unit(id=unit.pk, borough_ids=ids, weight=len(ids) * rng.lognormvariate(0, 0.35)))
        total = sum(u.weight for u in units) or 1.0
        for unit in units:
            unit.target = spec.live * scale * unit.weight / total
            permanent = spec.live * unit.weight / total * rng.uniform(3.5, 5.5)
            unit.permanent = [round(permanent * share) for share in PERMANENT_MIX]
        own = per_region[number::9]
        pool = national + own
        made.append(
            _Region(
                region=region,
                units=units,
                borough_ids=sorted(b for u in units for b in u.borough_ids),
                agencies=pool,
                agency_weights=[1 / (rank + 1) ** 0.8 for rank in range(len(pool))],
                cards=sorted(cards_by_region[region.pk], key=lambda c: c[0]),
                live=spec.live * scale,
                cool_off_months=6 if spec.code == LONDON_CODE else 3,
            )
        )
    return made


@contextmanager
def _big_cache():
    """SQLite's default page cache (2 MB) makes index updates on a large table read pages over and over."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MB, given back afterwards
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def generate(
    *,
    years: int = 10,
    scale: float = 1.0,
    seed: int = 1,
    regions: list[str] | None = None,
    replace: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> Summary:
    """Make the synthetic history (see the module docstring). Refuses with ``SyntheticHistoryExists`` when
    some is already there, unless ``replace`` deletes it first. The same seed gives the same history."""
    progress = progress or (lambda message: None)
    if years < 1 or scale <= 0:
        raise ValueError("Years must be at least 1 and the scale above 0.")
    specs = _select_regions(regions)
    started = time.perf_counter()
    summary = Summary()
    with _big_cache(), transaction.atomic():
        if synthetic_exists():
            if not replace:
                raise SyntheticHistoryExists(
                    "Synthetic history is already in this database. Run again with --replace to delete it and "
                    "make it afresh (only synthetic data is deleted)."
                )
            progress("Deleting the synthetic history that is already here...")
            delete_synthetic(progress=progress)
        user = synthetic_user()
        region_objects = _make_structure(specs, progress)
        agencies = _make_agencies(200)
        quarters = _history_quarters([r.pk for r in region_objects], years * 4, today or timezone.localdate())
        _make_cards(region_objects, quarters, user, today or timezone.localdate())
        shaped = _regions_for_history(region_objects, specs, scale, agencies)
        periods = ReportingPeriod.objects.bulk_create(
            ReportingPeriod(
                region=region.region,
                starts_on=starts_on,
                ends_on=_quarter_end(starts_on),
                opens_on=_quarter_end(starts_on) + timedelta(days=1),
                deadline=_quarter_end(starts_on) + timedelta(days=31),
                locks_on=_quarter_end(starts_on) + timedelta(days=45),
                cool_off_months=region.cool_off_months,
                opened_by=user,
            )
            for region in shaped
            for starts_on in quarters
        )
        summary.regions = len(shaped)
        summary.units = sum(len(r.units) for r in shaped)
        summary.authorities = Borough.objects.filter(region__in=region_objects).count()
        summary.agencies = len(agencies)
        summary.periods = len(periods)
        summary.first_quarter, summary.last_quarter = quarters[0], quarters[-1]
        progress(
            f"{summary.authorities} authorities in {summary.regions} regions, {summary.agencies} agencies; "
            f"{len(quarters)} quarters from {quarters[0]:%B %Y}."
        )
        history = _History(regions=shaped, quarters=quarters, user=user, seed=seed, summary=summary)
        history.run({(p.region_id, p.starts_on): p for p in periods}, progress)
        _reset_row_ids()
        _analyse()  # before the purge below: planned on empty-table statistics its join takes minutes
        # The register as the daily purge (returns.tasks.purge_expired_leavers) leaves it the day after the
        # history's last quarter, which may end before today when demo or real periods follow it.
        Leaver.objects.filter(
            ret__created_by=user, leaving_date__lt=kept_since(_quarter_end(quarters[-1]) + timedelta(days=1))
        )._raw_delete(Leaver.objects.db)
        summary.leavers_kept = Leaver.objects.filter(ret__created_by=user).count()
        _make_references(shaped, user, seed, summary)
        summary.live_at_end = sum(len(u.spells) for r in shaped for u in r.units)
        summary.london_live_at_end = sum(len(u.spells) for r in shaped if r.region.code == LONDON_CODE for u in r.units)
    _analyse()
    # The returns were written directly, not accepted through the services: build their dashboard figures.
    from dashboards.aggregates import rebuild

    progress("Building the dashboards' per-return figures...")
    rebuild()
    _analyse(figures=True)
    summary.seconds = time.perf_counter() - started
    return summary


def _analyse(*, figures: bool = False) -> None:
    """Refresh the planner's statistics of the tables just filled (``figures``: the dashboards' aggregates).
    Without it PostgreSQL plans the first queries on the new rows as if the tables were nearly empty
    (sorting on disk instead of hashing), until autovacuum gets round to them."""
    if connection.vendor != "postgresql":
        return
    from dashboards.models import AgencyFigures, BoroughFigures, PayFigures, ReturnFigures

    models = (ReturnFigures, BoroughFigures, AgencyFigures, PayFigures) if figures else ()
    models = models or (Assignment, Return, ReportingPeriod, WorkforceLine, Finding, BreachSignOff, Leaver)
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


def delete_synthetic(*, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Delete every synthetic object (and nothing else). Rows of other returns carried forward from synthetic
    rows lose only that link. Refuses, naming what is in the way, if real data has come to depend on a
    synthetic object (a user invited to a synthetic agency, say)."""
    progress = progress or (lambda message: None)
    counts = {}
    with transaction.atomic():
        returns = Return.objects.filter(created_by__email=USER_EMAIL)
        Assignment.objects.filter(carried_from__ret__in=returns).exclude(ret__in=returns).update(carried_from=None)
        Finding.objects.filter(assignment__ret__in=returns).update(assignment=None)
        from references.models import Reference

        counts["references"] = Reference.objects.filter(author__email=USER_EMAIL).delete()[0]
        # The big tables go in one statement each; the rest through the ORM, which follows the cascades.
        from dashboards.aggregates import forget

        forget(returns.values("pk"))
        counts["rows"] = Assignment.objects.filter(ret__in=returns)._raw_delete(Assignment.objects.db)
        WorkforceLine.objects.filter(ret__in=returns)._raw_delete(WorkforceLine.objects.db)
        Leaver.objects.filter(ret__in=returns)._raw_delete(Leaver.objects.db)
        try:
            counts["returns"] = returns.delete()[1].get("returns.Return", 0)
            BreachSignOff.objects.filter(signed_by__email=USER_EMAIL).delete()
            RateCard.objects.filter(created_by__email=USER_EMAIL).delete()
            counts["periods"] = ReportingPeriod.objects.filter(opened_by__email=USER_EMAIL).delete()[0]
            boroughs = Borough.objects.filter(organisation__slug__startswith=PREFIX)
            ReportingUnit.objects.filter(boroughs__in=boroughs).delete()
            counts["authorities"] = boroughs.delete()[0]
            Agency.objects.filter(organisation__slug__startswith=PREFIX).delete()
            for region in Region.objects.filter(organisation__slug__startswith=PREFIX):
                if not region.boroughs.exists():
                    region.sub_regions.all().delete()
                    region.delete()
            # A synthetic team kept by a region that real authorities have joined stays with it.
            Organisation.objects.filter(slug__startswith=PREFIX, region__isnull=True).delete()
        except ProtectedError as exc:
            blocking = sorted({str(obj) for obj in exc.protected_objects})[:5]
            raise SyntheticHistoryExists(
                "Synthetic data could not be deleted because other data refers to it: "
                f"{'; '.join(blocking)}. Remove those first."
            ) from exc
    progress(f"Deleted {counts['returns']:,} synthetic returns with {counts['rows']:,} rows.")
    return counts
