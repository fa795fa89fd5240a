"""Demo returns: last quarter accepted for Camden, Hackney and the joint Kingston and Richmond unit, and this
quarter's returns open now (Camden's draft pre-filled from last quarter, with a row over the cap)."""

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from boroughs.models import Borough, Region
from pledge_portal.accounts.models import User
from rates.models import RoleCategory

from . import services
from .models import Assignment, ReportingPeriod, ReportingUnit, Return, Transition

JOINT = ("E09000021", "E09000027")  # Kingston upon Thames and Richmond upon Thames make one return


def _quarter_start(day: date) -> date:
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def _previous_quarter(start: date) -> date:
    return date(start.year - 1, 10, 1) if start.month == 1 else date(start.year, start.month - 3, 1)


def _joint_unit(region: Region) -> None:
    boroughs = list(Borough.objects.filter(gss_code__in=JOINT).order_by("name"))
    if len(boroughs) != 2:
        return
    unit, _ = ReportingUnit.objects.get_or_create(
        name=" and ".join(b.short_name or b.name for b in boroughs), defaults={"region": region}
    )
    for borough in boroughs:
        for old in borough.reporting_units.exclude(pk=unit.pk):
            if not old.returns.exists():
                old.delete()
    unit.boroughs.add(*boroughs)


ROWS = [
    # registration, role, agency, engagement, start, pay, charge, pqe, ended
    ("SW201001", "social-worker", "BrightCare Social Work Ltd", "umbrella", -200, "34.80", "43.50", "6.0", None),
    (
        "SW201002",
        "senior-social-worker",
        "BrightCare Social Work Ltd",
        "limited-company",
        -120,
        "37.20",
        "46.00",
        "9.5",
        None,
    ),
    ("SW201003", "team-manager", "Northside Locums Ltd", "paye", -300, "38.10", "49.20", "14.0", -20),
    ("SW201004", "social-worker", "Northside Locums Ltd", "umbrella", -60, "34.50", "43.00", "3.5", None),
    (
        "SW201005",
        "advanced-practitioner",
        "BrightCare Social Work Ltd",
        "umbrella",
        -150,
        "39.50",
        "48.90",
        "11.0",
        None,
    ),
]


def _rows(ret: Return, borough: Borough, offset: int) -> list[Assignment]:
    roles = {r.code: r for r in RoleCategory.objects.all()}
    base = ret.period.ends_on
    made = []
    for position, (number, role, agency, engagement, start, pay, charge, pqe, ended) in enumerate(ROWS, start=1):
        made.append(
            Assignment(
                ret=ret,
                position=position,
                borough=borough,
                registration_number=f"{number[:-1]}{offset}{number[-1]}",
                role=roles[role],
                agency_name=agency,
                engagement_type=engagement,
                start_date=base + timedelta(days=start),
                end_date=base + timedelta(days=ended) if ended else None,
                hourly_pay_rate=Decimal(pay),
                hourly_charge_rate=Decimal(charge),
                pqe_years=Decimal(pqe),
                reference_received=True,
                notice_period_weeks=4,
            )
        )
    return Assignment.objects.bulk_create(made)


def _workforce(ret: Return, rows: list[Assignment]) -> None:
    """Workforce figures that agree with the rows: agency headcount per role is the rows still open at the
    quarter's end; the permanent figures are illustrative."""
    for line in ret.workforce.select_related("role"):
        agency = sum(1 for row in rows if row.role_id == line.role_id and row.is_active_on(ret.period.ends_on))
        permanent = {"social-worker": 60, "senior-social-worker": 35, "advanced-practitioner": 12}.get(
            line.role.code, 8
        )
        for name, value in {
            "permanent_headcount": permanent,
            "permanent_fte": Decimal(permanent) - Decimal("2.5"),
            "agency_headcount": agency,
            "agency_fte": Decimal(agency),
            "vacancies_fte": Decimal(agency) + Decimal("1.5"),
            "starters": 2,
            "leavers": 3,
        }.items():
            setattr(line, name, value)
        line.save()
    Return.objects.filter(pk=ret.pk).update(
        agency_spend_month_1=Decimal("48200.00"),
        agency_spend_month_2=Decimal("51350.00"),
        agency_spend_month_3=Decimal("49875.50"),
        project_teams=0,
    )


@transaction.atomic
def seed_demo_returns() -> None:
    """Idempotent: does nothing once the demo periods exist."""
    region = Region.objects.get(code="E12000007")
    if ReportingPeriod.objects.filter(region=region).exists():
        return
    analyst = User.objects.get(email="analyst@london.pledge.test")
    services.ensure_reporting_units(region=region)
    _joint_unit(region)
    today = timezone.localdate()
    current = _previous_quarter(_quarter_start(today))  # the quarter that has just ended
    earlier = _previous_quarter(current)
    deadline = max(today + timedelta(days=14), _quarter_start(today) + timedelta(days=30))
    last = services.open_period(
        region=region, by=analyst, starts_on=earlier, deadline=deadline, locks_on=deadline + timedelta(days=14)
    )
    this = services.open_period(
        region=region, by=analyst, starts_on=current, deadline=deadline, locks_on=deadline + timedelta(days=14)
    )
    makers = {
        "E09000007": User.objects.get(email="submitter@camden.pledge.test"),
        "E09000012": User.objects.get(email="submitter@hackney.pledge.test"),
        JOINT[0]: User.objects.get(email="msp@southwest-msp.pledge.test"),
    }
    for offset, (gss, maker) in enumerate(makers.items(), start=1):
        borough = Borough.objects.get(gss_code=gss)
        unit = borough.reporting_units.get()
        ret = services.start_return(unit=unit, period=last, by=maker)
        rows = _rows(ret, borough, offset)
        _workforce(ret, rows)
        now = timezone.now()
        for status in (Return.Status.SUBMITTED, Return.Status.SIGNED_OFF, Return.Status.ACCEPTED):
            Transition.objects.create(
                ret=ret, from_status=ret.status, to_status=status, by=maker, comment="Demo history"
            )
            ret.status = status
        Return.objects.filter(pk=ret.pk).update(
            status=Return.Status.ACCEPTED, submitted_at=now, submitted_by=maker, accepted_at=now, accepted_by=analyst
        )
    # This quarter: Camden's draft carries forward last quarter's open rows, plus one new row over the cap.
    camden = Borough.objects.get(gss_code="E09000007")
    draft = services.start_return(unit=camden.reporting_units.get(), period=this, by=makers["E09000007"])
    services.save_assignment(
        ret=draft,
        by=makers["E09000007"],
        expected_revision=draft.revision,
        values={
            "borough": camden,
            "registration_number": "SW201099",
            "role": RoleCategory.objects.get(code="social-worker"),
            "agency_name": "Northside Locums Ltd",
            "engagement_type": "umbrella",
            "start_date": this.starts_on + timedelta(days=20),
            "hourly_pay_rate": Decimal("39.50"),
            "hourly_charge_rate": Decimal("48.00"),
            "pqe_years": Decimal("2.0"),
            "reference_received": False,
            "notice_period_weeks": 6,
        },
    )
