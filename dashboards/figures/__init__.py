"""The dashboards' figures (DESIGN.md section 6): one set of selectors, used by the dashboard pages, their CSV
downloads and the compliance pack.

Every figure reads **accepted** returns only, chosen by a ``Scope`` (a range of quarters, and optionally a
region, sub-region, borough, agency and core role). The caller decides the scope from what the user may
see (``dashboards.views`` resolves the region, borough or agency through the scoping selectors);
nothing here checks permissions.

Each function returns plain data (lists of dataclasses) and costs a fixed number of queries, whatever the
number of boroughs, agencies or rows: sums and counts are grouped in the database, and quartiles are read
from a frequency table of distinct rates (a few hundred rows, not one per assignment).

Counting conventions, so a reader can check any number by hand:

* A return lists every assignment active in its quarter, so an assignment that runs for three quarters is
  three rows. Counts of "assignments" over a range of quarters are counts of rows (assignment-quarters).
* A row counts under its local role's core type when it has a local role, otherwise under its role.
* A breach is a row whose hourly pay rate is above the cap that ``rates.selectors.check_rate`` would give:
  the card of the return's region in force on the row's start date, the local role's line if the card has
  one, else the core role's line, the inclusive cap for umbrella and limited-company engagements and the
  PAYE cap for PAYE. The caps are written into the query as one CASE expression built from the in-process
  rate table, so breaches are counted in the database.
* Flags (cool-off, PQE under 3 years, overlapping assignments) are the findings of the **latest finished
  validation run** of each accepted return: the rules already decide them across boroughs (COOL-001 needs
  the cool-off months of the period, CROSS-001 other boroughs' rows), and recomputing them here would be a
  second, drifting copy of the rules. A row counts once per flag, however many findings it has.

Coverage: every trend carries how many of the reporting units expected to report (a Pledge signatory's)
each quarter is built from (``coverage``), and two quarters are compared on the units present in both.

The figures live in modules by subject (``scope``: what a scope selects and the caps; ``workforce``;
``compliance``; ``comparison``; ``registers``, for the compliance pack) and are all importable from here.
"""

from .comparison import (  # noqa: F401
    AgencyBoroughLine,
    Comparison,
    RequestLine,
    agency_by_borough,
    agency_reference_requests,
    borough_comparison,
)
from .compliance import (  # noqa: F401
    UNMATCHED,
    AgencyLine,
    BreachLine,
    FlagLine,
    agencies_ranked,
    breaches_by_borough,
    breaches_over_time,
    flags_by_borough,
    flags_over_time,
    reference_requests,
    reference_turnaround,
)
from .coverage import (  # noqa: F401
    HEADLINE_MEASURES,
    Coverage,
    Headline,
    QuarterComparison,
    compare_quarters,
    comparison_table,
    coverage_by_quarter,
    coverage_table,
    headlines,
    marked,
    partial_note,
    previous_quarter,
    year_before,
)
from .rag import (  # noqa: F401
    RagLine,
    Threshold,
    rag_by_borough,
    thresholds_for,
)
from .registers import (  # noqa: F401
    COOL_OFF_RULES,
    RULES,
    BoroughScorecard,
    BreachEntry,
    CoolOffEntry,
    SubmissionLine,
    borough_scorecards,
    breach_register,
    cool_off_register,
    submission_timeliness,
)
from .scope import (  # noqa: F401
    BASIS_LABELS,
    FLAG_LABELS,
    FLAGS,
    OVER,
    PENNY,
    SIGNED,
    SMALL_COUNT,
    Scope,
    accepted_returns,
    accepted_rows,
    quarter_label,
    quarter_start,
    rows_with_caps,
    shift_quarters,
    suppressed,
)
from .workforce import (  # noqa: F401
    CompletenessLine,
    PayLine,
    ShareLine,
    SpendLine,
    agency_share_by_unit,
    agency_share_over_time,
    completeness,
    monthly_spend,
    pay_rates_by_role,
)
