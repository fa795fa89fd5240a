"""Files made from a return: the DfE quarterly agency social worker return, one per borough.

A borough enters its rows once, in the Pledge return, and downloads the DfE's return from them. A joint
return (Kingston and Richmond) gives each borough its own file with only its own rows, because the DfE
collects by local authority.
"""

from django.utils.text import slugify

from boroughs.models import Borough
from pledge_portal.core.exports import table_csv
from pledge_portal.core.tables import Column, Table

from .models import Return

# The DfE's own columns; its yes/no columns take Y and N, so they are text here.
DFE_COLUMNS = [
    Column("LA code"),
    Column("LA name"),
    Column("Period"),
    Column("Social Work England registration number"),
    Column("DfE job role"),
    Column("Agency"),
    Column("Engagement type"),
    Column("Start date", "date"),
    Column("End date", "date"),
    Column("Hourly pay rate (£)", "rate"),
    Column("Hourly charge rate (£)", "rate"),
    Column("Project team (Y/N)"),
    Column("PQE (years)"),
    Column("Reference received (Y/N)"),
    Column("Cap breach signed off (Y/N)"),
]


def _quarter(ret: Return) -> str:
    """The financial-year quarter, like "2026-27 Q2": the period's label without its months."""
    return ret.period.label.split(" (", 1)[0]


def _y_n(value: bool | None) -> str:
    return "" if value is None else ("Y" if value else "N")


def dfe_return_csv(ret: Return, borough: Borough) -> bytes:
    """``borough``'s rows of ``ret`` in the shape of the DfE quarterly agency social worker return: CSV, UTF-8
    with a byte-order mark for Excel, one row per assignment, every cell neutralised. A blank cell is a value
    the return does not hold yet. The caller checks that the user may see the return and that ``borough`` is
    one of its unit's."""
    period = _quarter(ret)
    rows = (
        ret.assignments.filter(borough=borough)
        .select_related("role", "local_role__core", "agency")
        .order_by("position")
        .iterator(chunk_size=2000)
    )

    def line(row) -> list:
        role = row.role or (row.local_role.core if row.local_role_id else None)
        return [
            borough.dfe_code,
            borough.name,
            period,
            row.registration_number,
            role.name if role else "",
            row.agency.name if row.agency_id else row.agency_name,
            row.get_engagement_type_display() if row.engagement_type else "",
            row.start_date,
            row.end_date,
            row.hourly_pay_rate,
            row.hourly_charge_rate,
            _y_n(row.project_team),
            row.pqe_years,
            _y_n(row.reference_received),
            _y_n(row.breach_sign_off_id is not None),
        ]

    return table_csv(Table("DfE quarterly agency social worker return", DFE_COLUMNS, (line(row) for row in rows)))


def dfe_return_filename(ret: Return, borough: Borough) -> str:
    """Like ``dfe-agency-return-202-camden-2026-27-q2.csv``."""
    return f"dfe-agency-return-{borough.dfe_code}-{slugify(borough.name)}-{slugify(_quarter(ret))}.csv"
