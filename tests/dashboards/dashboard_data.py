"""Small, hand-countable data for the dashboard tests: accepted returns written straight to the tables, so
every figure in the tests can be worked out from what is built here, with their dashboard aggregates built
as the services build them."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from boroughs.models import Borough, SubRegion
from dashboards import aggregates
from pledge_portal.accounts.roles import Role
from rates.models import BreachSignOff, RoleCategory
from references.models import ReferenceRequest
from returns import services
from returns.models import Assignment, Finding, ReportingPeriod, ReportingUnit, Return, ValidationRun, WorkforceLine
from tests.factories import BoroughFactory
from tests.rates.helpers import publish_card

Q1 = date(2026, 4, 1)  # 2026-27 Q1
Q2 = date(2026, 7, 1)  # 2026-27 Q2


def period(side, starts_on: date) -> ReportingPeriod:
    existing = ReportingPeriod.objects.filter(region=side.region, starts_on=starts_on).first()
    if existing:
        return existing
    ends_on = services._quarter_end(starts_on)
    return ReportingPeriod.objects.create(
        region=side.region,
        starts_on=starts_on,
        ends_on=ends_on,
        opens_on=ends_on + timedelta(days=1),
        deadline=ends_on + timedelta(days=30),
        locks_on=ends_on + timedelta(days=60),
        opened_by=side.users[Role.REGIONAL_ANALYST],
    )


def unit(borough: Borough) -> ReportingUnit:
    services.ensure_reporting_units(region=borough.region)
    return ReportingUnit.objects.get(boroughs=borough)


def role(code: str) -> RoleCategory:
    return RoleCategory.objects.get(code=code)


@dataclass
class Row:
    rate: str
    engagement: str = "umbrella"
    role: str = "social-worker"
    local_role: object = None
    agency: object = None  # default: the side's agency
    start: date = date(2026, 5, 4)
    signed_off: bool = False
    registration: str = ""


@dataclass
class Built:
    ret: Return
    rows: list[Assignment] = field(default_factory=list)


def accepted_return(
    side,
    borough: Borough,
    starts_on: date,
    rows: list[Row],
    *,
    workforce: dict[str, tuple[str, str]] | None = None,
    spend: tuple[str | None, str | None, str | None] = (None, None, None),
    status: str = Return.Status.ACCEPTED,
) -> Built:
    """A return (accepted unless told) of the borough's unit with these rows, workforce lines (role code ->
    (agency FTE, permanent FTE)) and monthly spend."""
    ret = Return.objects.create(
        unit=unit(borough),
        period=period(side, starts_on),
        status=status,
        created_by=side.users[Role.BOROUGH_SUBMITTER],
        agency_spend_month_1=spend[0],
        agency_spend_month_2=spend[1],
        agency_spend_month_3=spend[2],
    )
    built = Built(ret)
    for i, row in enumerate(rows, start=1):
        registration = row.registration or f"SW{borough.pk:03d}{starts_on.month:02d}{i:03d}"
        sign_off = None
        if row.signed_off:
            sign_off = BreachSignOff.objects.create(
                borough=borough,
                registration_number=registration,
                role_code=row.role,
                engagement_type=row.engagement,
                assignment_start=row.start,
                hourly_rate=Decimal(row.rate),
                cap=Decimal("1.00"),
                excess=Decimal(row.rate) - Decimal("1.00"),
                rate_card=side.card,
                reason="Hard to fill",
                signed_by=side.users[Role.BOROUGH_APPROVER],
                signed_by_title="Director",
                chief_executive="A Chief",
                signed_on=row.start,
            )
        agency = row.agency or side.agency
        built.rows.append(
            Assignment.objects.create(
                ret=ret,
                position=i,
                borough=borough,
                registration_number=registration,
                role=role(row.role),
                local_role=row.local_role,
                agency=agency,
                agency_name=agency.name,
                engagement_type=row.engagement,
                start_date=row.start,
                hourly_pay_rate=Decimal(row.rate),
                hourly_charge_rate=Decimal(row.rate) + 8,
                pqe_years=Decimal("5.0"),
                breach_sign_off=sign_off,
            )
        )
    for code, (agency_fte, permanent_fte) in (workforce or {}).items():
        WorkforceLine.objects.create(
            ret=ret, role=role(code), agency_fte=Decimal(agency_fte), permanent_fte=Decimal(permanent_fte)
        )
    aggregates.refresh(ret)  # as accepting it through the services does
    return built


def flag(built: Built, findings: list[tuple[int, str]], *, finished: datetime | None = None) -> ValidationRun:
    """A finished validation run of the return with findings (row index, rule code)."""
    run = ValidationRun.objects.create(
        ret=built.ret, revision=built.ret.revision, finished_at=finished or timezone.now()
    )
    Finding.objects.bulk_create(
        Finding(
            run=run,
            ret=built.ret,
            rule_code=code,
            severity=Finding.Severity.QUERY,
            assignment=built.rows[index],
            position=index + 1,
            message=f"{code} on row {index + 1}",
            key=f"{code}:{index}",
        )
        for index, code in findings
    )
    aggregates.refresh(built.ret)  # as a check finishing on an accepted return does
    return run


def reference_request(side, borough: Borough, *, asked: date, answered: date | None, status=None) -> ReferenceRequest:
    request = ReferenceRequest.objects.create(
        agency=side.agency,
        borough=borough,
        registration_number="SW555555",
        candidate_name="Sam Candidate",
        requested_by=side.users[Role.AGENCY_USER],
        due_on=asked + timedelta(days=14),
    )
    noon = timezone.get_current_timezone()
    ReferenceRequest.objects.filter(pk=request.pk).update(
        requested_at=datetime(asked.year, asked.month, asked.day, 12, tzinfo=noon),
        closed_at=datetime(answered.year, answered.month, answered.day, 12, tzinfo=noon) if answered else None,
        status=status or (ReferenceRequest.Status.COMPLETED if answered else ReferenceRequest.Status.REQUESTED),
    )
    request.refresh_from_db()
    return request


def region_with_card(side, caps=None):
    """The side's region with a published card from 1 April 2026 kept as ``side.card``: caps as
    tests.rates.helpers.CAPS (social worker £36.40 umbrella and limited company, £31.85 PAYE; team manager
    £45.75 and £40.00) unless ``caps`` overrides some."""
    side.card = publish_card(side.region, side.users[Role.REGIONAL_ANALYST], caps=caps)
    return side


def more_boroughs(side, count: int, *, sub_region: SubRegion | None = None) -> list[Borough]:
    return [
        BoroughFactory(name=f"Extra Borough {i}", region=side.region, sub_region=sub_region or side.borough.sub_region)
        for i in range(count)
    ]


def added_up(model, keys, sums) -> list[tuple]:
    """An aggregate's lines added up per region, quarter and core role and ``keys``: a whole-region aggregate
    equals its parts' when both are added up so."""
    grouped = model.objects.values("region_id", "quarter", "core_role_id", *keys).annotate(
        **{f"n_{c}": Sum(c) for c in sums}
    )
    return sorted((tuple(line.values()) for line in grouped.order_by()), key=str)  # blank role or agency: None
