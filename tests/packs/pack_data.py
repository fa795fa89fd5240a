"""Building a small region's accepted returns for the compliance pack tests, and reading built packs."""

import io
from datetime import date

from openpyxl import load_workbook

from packs import services as pack_services
from pledge_portal.accounts.roles import Role
from rates.models import LocalRole
from tests.dashboards.dashboard_data import (
    Q1,
    Q2,
    Row,
    accepted_return,
    flag,
    period,
    reference_request,
    region_with_card,
    role,
)
from tests.factories import AgencyFactory


def pack_world(world):
    """Two boroughs' accepted returns for 2026-27 Q2 (and one for Q1), with breaches, flags, spend and a
    reference; one agency has a name that would be a formula in a spreadsheet."""
    side = world.own
    LocalRole.objects.create(region=side.region, code="practice-lead", name="Practice lead", core=role("team-manager"))
    region_with_card(side, caps={"practice-lead": ("42.00", "38.00")})  # a local role's line in the caps
    formula = AgencyFactory(name='=HYPERLINK("http://evil.test","click")')
    built = accepted_return(
        side,
        side.borough,
        Q2,
        [
            Row("30.00"),
            Row("40.00"),  # over the £36.40 cap, not signed off
            Row("41.00", signed_off=True),
            Row("35.00", agency=formula),
            Row("50.00", agency=formula),
        ],
        workforce={"social-worker": ("5", "15")},
        spend=("1000.50", "2000.25", None),
    )
    flag(built, [(0, "COOL-001"), (1, "PQE-001"), (2, "COOL-002")])
    accepted_return(side, side.msp_borough, Q2, [Row("30.00")], workforce={"social-worker": ("2", "8")})
    accepted_return(side, side.borough, Q1, [Row("45.00")], workforce={"social-worker": ("3", "27")})
    reference_request(side, side.borough, asked=date(2026, 7, 6), answered=date(2026, 7, 8))
    side.period = period(side, Q2)
    side.built = built
    return side


def build(side, django_capture_on_commit_callbacks, *, borough=None, by=None):
    with django_capture_on_commit_callbacks(execute=True):
        pack, reused = pack_services.request_pack(
            period=side.period, by=by or side.users[Role.REGIONAL_ANALYST], borough=borough
        )
    pack.refresh_from_db()
    return pack, reused


def workbook(pack):
    with pack.xlsx.open("rb") as f:
        return load_workbook(io.BytesIO(f.read()))


def table(ws) -> tuple[list, list[list]]:
    """A sheet's header and rows (the header is the row with a filter over it)."""
    first = int(ws.auto_filter.ref.split(":")[0][1:])
    rows = [list(r) for r in ws.iter_rows(min_row=first, values_only=True)]
    return rows[0], rows[1:]


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
