"""Building periods, returns and rows in tests. A period's quarter is July to September 2026, open now."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from pledge_portal.accounts.roles import Role
from returns import services
from returns.models import ReportingUnit, Return
from tests.rates.helpers import publish_card


def open_period(side, *, starts_on=date(2026, 7, 1)):
    """A period of the side's region whose returns are open today (deadline in two weeks)."""
    today = timezone.localdate()
    return services.open_period(
        region=side.region,
        by=side.users[Role.REGIONAL_ANALYST],
        starts_on=starts_on,
        deadline=max(today + timedelta(days=14), date(2026, 10, 1)),
        locks_on=max(today + timedelta(days=30), date(2026, 10, 1)),
    )


def unit_of(side) -> ReportingUnit:
    services.ensure_reporting_units(region=side.region)
    return ReportingUnit.objects.get(boroughs=side.borough)


def draft_return(side, *, period=None, with_card=True) -> Return:
    """The side's borough's draft return for an open period, with a published rate card in force."""
    if with_card:
        publish_card(side.region, side.users[Role.REGIONAL_ANALYST])
    period = period or open_period(side)
    return services.start_return(unit=unit_of(side), period=period, by=side.users[Role.BOROUGH_SUBMITTER])


def good_row(side, **overrides) -> dict:
    """Values of a row that breaks no rule: within the cap, enough PQE, four weeks' notice."""
    from rates.models import RoleCategory

    values = {
        "borough": side.borough,
        "registration_number": "SW100200",
        "role": RoleCategory.objects.get(code="social-worker"),
        "local_role": None,
        "agency_name": side.agency.name,
        "engagement_type": "umbrella",
        "start_date": date(2026, 5, 4),
        "end_date": None,
        "hourly_pay_rate": Decimal("35.00"),
        "hourly_charge_rate": Decimal("42.00"),
        "project_team": False,
        "pqe_years": Decimal("5.0"),
        "previous_employer": None,
        "left_previous_on": None,
        "reference_received": True,
        "notice_period_weeks": 4,
        "breach_sign_off": None,
    }
    return {**values, **overrides}


def add_row(ret: Return, side, **overrides):
    ret.refresh_from_db()
    return services.save_assignment(
        ret=ret,
        by=side.users[Role.BOROUGH_SUBMITTER],
        expected_revision=ret.revision,
        values=good_row(side, **overrides),
    )
