"""Demo returns: last quarter accepted for Camden, Hackney and the joint Kingston and Richmond unit, and this
quarter's returns open now (Camden's draft pre-filled from last quarter, with a row over the cap, whose worker
Hackney reported leaving a permanent post last quarter: the leavers register flags it, COOL-004). Before
those, four quarters of accepted returns from every London unit, made up but deterministic, so the
dashboards have trends, breaches, flags and agencies to show."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from boroughs.models import Borough, Region
from pledge_portal.accounts.models import User
from rates.models import RoleCategory

from . import services
from .models import (
    Assignment,
    Leaver,
    ReportingPeriod,
    ReportingUnit,
    Return,
    Transition,
    ValidationRun,
    WorkforceLine,
)
from .validation import run_validation

HISTORY_QUARTERS = 4
# Typical hourly pay by role in the made-up history; some rows land over the demo caps.
TYPICAL_PAY = {
    "social-worker": 34.0,
    "senior-social-worker": 36.5,
    "advanced-practitioner": 38.5,
    "team-manager": 42.0,
    "iro-cp-chair": 40.0,
}
ENGAGEMENTS = ("umbrella", "umbrella", "limited-company", "paye")

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
    agencies = {a.name: a for a in Agency.objects.all()}
    base = ret.period.ends_on
    made = []
    after = ret.assignments.count()  # rows carried forward from the quarter before come first
    for position, (number, role, agency, engagement, start, pay, charge, pqe, ended) in enumerate(ROWS, after + 1):
        made.append(
            Assignment(
                ret=ret,
                position=position,
                borough=borough,
                registration_number=f"{number[:-1]}{offset}{number[-1]}",
                role=roles[role],
                agency=agencies.get(agency),
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


# Permanent leavers each demo borough reported last quarter: (registration number, days before the quarter's
# end, role). Hackney's first is the worker Camden's draft engages as a locum within the cool-off.
LEAVERS = {
    "E09000007": [("SW401001", 40, "social-worker"), ("SW401002", 70, "team-manager")],
    "E09000012": [("SW201099", 30, "social-worker"), ("SW402001", 55, "senior-social-worker")],
    JOINT[0]: [("SW403001", 20, "advanced-practitioner")],
}


def _leavers(ret: Return, borough: Borough, gss: str) -> None:
    roles = {r.code: r for r in RoleCategory.objects.all()}
    Leaver.objects.bulk_create(
        Leaver(
            ret=ret,
            borough=borough,
            registration_number=number,
            leaving_date=ret.period.ends_on - timedelta(days=days),
            role=roles[role],
        )
        for number, days, role in LEAVERS.get(gss, [])
    )


def _history(region: Region, analyst: User, before: date) -> None:
    """``HISTORY_QUARTERS`` accepted quarters before ``before`` for every unit of the region, each checked by
    the real validation so the dashboards' flags come from the rules."""
    rng = random.Random(20161001)
    agencies = list(Agency.objects.order_by("name"))
    roles = list(RoleCategory.objects.order_by("order"))
    units = list(ReportingUnit.objects.filter(region=region).prefetch_related("boroughs").order_by("name"))
    quarters = [before]
    for _ in range(HISTORY_QUARTERS):
        quarters.insert(0, _previous_quarter(quarters[0]))
    number = 300000
    for starts_on in quarters[:-1]:
        ends_on = services._quarter_end(starts_on)
        period = ReportingPeriod.objects.create(
            region=region,
            starts_on=starts_on,
            ends_on=ends_on,
            opens_on=ends_on + timedelta(days=1),
            deadline=ends_on + timedelta(days=30),
            locks_on=ends_on + timedelta(days=45),
            opened_by=analyst,
        )
        accepted = timezone.make_aware(datetime.combine(ends_on + timedelta(days=25), time(10)))
        for unit in units:
            ret = Return.objects.create(
                unit=unit,
                period=period,
                status=Return.Status.ACCEPTED,
                created_by=analyst,
                submitted_at=accepted - timedelta(days=5),
                accepted_at=accepted,
                accepted_by=analyst,
            )
            WorkforceLine.objects.bulk_create(WorkforceLine(ret=ret, role=role) for role in roles)
            boroughs = list(unit.boroughs.all())
            rows = []
            for position in range(1, rng.randint(3, 10) + 1):
                role = rng.choice(roles)
                agency = rng.choice(agencies) if agencies else None
                engagement = rng.choice(ENGAGEMENTS)
                pay = Decimal(str(round(TYPICAL_PAY.get(role.code, 36.0) + rng.uniform(-2.5, 3.0), 2)))
                if engagement == "paye":
                    pay = (pay * Decimal("0.87")).quantize(Decimal("0.01"))
                start = starts_on - timedelta(days=rng.randint(0, 240))
                number += 1
                rows.append(
                    Assignment(
                        ret=ret,
                        position=position,
                        borough=rng.choice(boroughs),
                        registration_number=f"SW{number}",
                        role=role,
                        agency=agency,
                        agency_name=agency.name if agency else "Unlisted Staffing Ltd",
                        engagement_type=engagement,
                        start_date=start,
                        end_date=ends_on - timedelta(days=rng.randint(1, 60)) if rng.random() < 0.2 else None,
                        hourly_pay_rate=pay,
                        hourly_charge_rate=(pay * Decimal("1.25")).quantize(Decimal("0.01")),
                        pqe_years=Decimal(str(round(rng.uniform(1.0, 15.0), 1))),
                        reference_received=rng.random() > 0.05,
                        notice_period_weeks=4,
                    )
                )
            rows = Assignment.objects.bulk_create(rows)
            _workforce(ret, rows, spend=[Decimal(rng.randint(30000, 90000)) for _ in range(3)])
            run_validation(ValidationRun.objects.create(ret=ret, revision=ret.revision))


def _workforce(ret: Return, rows: list[Assignment], *, spend: list[Decimal] | None = None) -> None:
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
    spend = spend or [Decimal("48200.00"), Decimal("51350.00"), Decimal("49875.50")]
    Return.objects.filter(pk=ret.pk).update(
        agency_spend_month_1=spend[0], agency_spend_month_2=spend[1], agency_spend_month_3=spend[2], project_teams=0
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
    _history(region, analyst, before=earlier)
    makers = {
        "E09000007": User.objects.get(email="submitter@camden.pledge.test"),
        "E09000012": User.objects.get(email="submitter@hackney.pledge.test"),
        JOINT[0]: User.objects.get(email="msp@southwest-msp.pledge.test"),
    }
    for offset, (gss, maker) in enumerate(makers.items(), start=1):
        borough = Borough.objects.get(gss_code=gss)
        unit = borough.reporting_units.get()
        ret = services.start_return(unit=unit, period=last, by=maker)
        _rows(ret, borough, offset)
        _leavers(ret, borough, gss)
        _workforce(ret, list(ret.assignments.all()))
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
