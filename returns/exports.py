"""Files made from a return: the assignment-level sheet of the DfE quarterly agency social worker return, one
per borough, from the return's page (for its MSP too, who reports the rows).

The columns, codes and headings are declared once, in ``dfe/mapping.py``, and the file is made by the DfE
return's builder (``dfe.content``, ``dfe.files``), so this CSV is the same as the DfE page's. A joint return
(Kingston and Richmond) gives each borough its own file with only its own rows, because the DfE collects by
local authority.
"""

from boroughs.models import Borough

from .models import Return


def _content(ret: Return, borough: Borough):
    from dfe.content import build_content  # the DfE app builds on returns, not the other way round

    return build_content(ret.period, borough=borough)


def dfe_return_csv(ret: Return, borough: Borough) -> bytes:
    """``borough``'s rows of ``ret`` as the DfE return's assignment-level sheet: CSV, UTF-8 with a byte-order
    mark for Excel, one row per assignment, every cell neutralised. A blank cell is a value the return does not
    hold yet. The caller checks that the user may see the return and that ``borough`` is one of its unit's."""
    from dfe.files import assignments_csv

    return assignments_csv(_content(ret, borough))


def dfe_return_filename(ret: Return, borough: Borough) -> str:
    """Like ``dfe-agency-return-202-camden-2026-27-q2.csv``."""
    from django.utils.text import slugify

    from dashboards.figures.scope import quarter_label

    quarter = slugify(quarter_label(ret.period.starts_on))
    return f"dfe-agency-return-{borough.dfe_code}-{slugify(borough.name)}-{quarter}.csv"
