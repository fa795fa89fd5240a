"""Hand-built data for the DfE return tests, and reading files back with openpyxl."""

import csv
import io
from datetime import date
from decimal import Decimal

from django.utils import timezone
from openpyxl import load_workbook

from pledge_portal.accounts.roles import Role
from rates.models import BreachSignOff, RateCard, RoleCategory
from returns.models import Assignment, Finding, QueryExplanation, Return, StatutoryException, ValidationRun
from tests.returns.helpers import draft_return, open_period


def row(ret, side, position, **values) -> Assignment:
    """An assignment that breaks no rule (within the £36.40 social worker cap, 5 years' PQE, 4 weeks' notice,
    references received), with ``values`` changed."""
    defaults = {
        "borough": side.borough,
        "registration_number": f"SW{position:06d}",
        "role": RoleCategory.objects.get(code="social-worker"),
        "agency": side.agency,
        "agency_name": side.agency.name,
        "engagement_type": "umbrella",
        "start_date": date(2026, 5, 4),
        "hourly_pay_rate": Decimal("35.00"),
        "hourly_charge_rate": Decimal("42.00"),
        "pqe_years": Decimal("5.0"),
        "reference_received": True,
        "notice_period_weeks": 4,
    }
    return Assignment.objects.create(ret=ret, position=position, **{**defaults, **values})


def sign_off(side, assignment: Assignment, *, rate: str, on=date(2026, 5, 1), reason="Hard to fill") -> BreachSignOff:
    signed = BreachSignOff.objects.create(
        borough=assignment.borough,
        registration_number=assignment.registration_number,
        role_code="social-worker",
        engagement_type=assignment.engagement_type,
        assignment_start=assignment.start_date,
        hourly_rate=Decimal(rate),
        cap=Decimal("36.40"),
        excess=Decimal(rate) - Decimal("36.40"),
        rate_card=RateCard.objects.filter(region=side.region).first(),
        reason=reason,
        signed_by=side.users[Role.BOROUGH_APPROVER],
        signed_by_title="Director of Children's Services",
        chief_executive="Chris Chief",
        signed_on=on,
    )
    assignment.breach_sign_off = signed
    assignment.save(update_fields=["breach_sign_off"])
    return signed


def agree_pqe(side, assignment: Assignment, *, reason="Only applicant") -> StatutoryException:
    return StatutoryException.objects.create(
        borough=assignment.borough,
        registration_number=assignment.registration_number,
        assignment_start=assignment.start_date,
        rule_code=StatutoryException.Rule.PQE,
        agreed_value=str(assignment.pqe_years),
        reason=reason,
        signed_by=side.users[Role.BOROUGH_APPROVER],
        signed_by_title="DCS",
        chief_executive="Chris Chief",
        signed_on=date(2026, 5, 2),
    )


def explain(ret, assignment: Assignment, code: str, text: str) -> None:
    """A finished check finding ``code`` on the row, and the borough's explanation of it."""
    run = ret.validation_runs.filter(finished_at__isnull=False).first() or ValidationRun.objects.create(
        ret=ret, revision=ret.revision, finished_at=timezone.now()
    )
    key = f"{code}:{assignment.registration_number}:{assignment.start_date}"
    Finding.objects.create(
        run=run, ret=ret, rule_code=code, severity="query", assignment=assignment, message="m", key=key
    )
    QueryExplanation.objects.create(ret=ret, key=key, text=text, written_by=ret.created_by)


def a_return(side, *, period=None, status=Return.Status.DRAFT, **spend) -> Return:
    ret = draft_return(side, period=period or open_period(side))
    Return.objects.filter(pk=ret.pk).update(status=status, **spend)
    ret.refresh_from_db()
    return ret


def sheets(data: bytes):
    return load_workbook(io.BytesIO(data))


def table(ws) -> tuple[list, list[list]]:
    """A sheet's header and rows (the header is the row with a filter over it)."""
    first = int(ws.auto_filter.ref.split(":")[0][1:])
    rows = [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]
    return rows[0], rows[1:]


def records(ws) -> list[dict]:
    header, rows = table(ws)
    return [dict(zip(header, r, strict=True)) for r in rows]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
