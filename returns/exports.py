"""Files made from a return: the DfE quarterly agency social worker return, one per borough.

A borough enters its rows once, in the Pledge return, and downloads the DfE's return from them. A joint
return (Kingston and Richmond) gives each borough its own file with only its own rows, because the DfE
collects by local authority.
"""

from django.utils.text import slugify

from boroughs.models import Borough
from pledge_portal.core.exports import write_csv
from rates.money import pounds

from .models import Return

DFE_HEADER = [
    "LA code",
    "LA name",
    "Period",
    "Social Work England registration number",
    "DfE job role",
    "Agency",
    "Engagement type",
    "Start date",
    "End date",
    "Hourly pay rate (£)",
    "Hourly charge rate (£)",
    "Project team (Y/N)",
    "PQE (years)",
    "Reference received (Y/N)",
    "Cap breach signed off (Y/N)",
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
            row.start_date.isoformat() if row.start_date else "",
            row.end_date.isoformat() if row.end_date else "",
            pounds(row.hourly_pay_rate) if row.hourly_pay_rate is not None else "",
            pounds(row.hourly_charge_rate) if row.hourly_charge_rate is not None else "",
            _y_n(row.project_team),
            "" if row.pqe_years is None else str(row.pqe_years),
            _y_n(row.reference_received),
            _y_n(row.breach_sign_off_id is not None),
        ]

    return write_csv((line(row) for row in rows), header=DFE_HEADER)


def dfe_return_filename(ret: Return, borough: Borough) -> str:
    """Like ``dfe-agency-return-202-camden-2026-27-q2.csv``."""
    return f"dfe-agency-return-{borough.dfe_code}-{slugify(borough.name)}-{slugify(_quarter(ret))}.csv"
