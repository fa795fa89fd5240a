"""The one declared place for what the DfE collects and how the portal's data maps to it.

DfE's own template for the quarterly agency child and family social worker return is not public (see
``../shared/data/dfe-agency-return.md``): the headings, code lists and windows below are our reading of what is
published, each tagged with how certain it is and where it comes from. When DfE publishes or changes its
template, re-map it **here only** (README, "DfE return and census": how to re-map):

* change a ``Field``'s ``heading`` to DfE's column heading, reorder a sheet's ``fields``, drop or add one;
* change a code list's DfE codes (``ROLE_TYPE``, ``ENGAGEMENT_TYPE``, ``YES_NO``, ``CENSUS_ORG_ROLE``...);
* change a rule's threshold or the date it applies from (``RULES``), or a collection window (``WINDOWS``);
* set ``certainty`` to ``PUBLISHED`` and ``basis`` to DfE's document for what is then confirmed.

``tests/dfe/test_mapping.py`` checks that every source a field names exists (a model field, or a value the
builder derives) and that every value of every coded field has a DfE code, so a re-map that names a field
the portal does not hold, or forgets a code, fails before a file is made.

A ``source`` is ``"<object>.<field>"``: ``assignment``, ``borough``, ``return``, ``period``, ``sign_off``
(``rates.BreachSignOff``), ``exception`` (``returns.StatutoryException``) name model fields, read as they are;
``derived`` names a value the builder works out (``dfe/content.py``, ``DERIVED``), such as a row's core role or
whether it is over the cap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from returns.rules import MAXIMUM_NOTICE_WEEKS, MINIMUM_PQE_YEARS


class Certainty(StrEnum):
    """How sure we are of an item, graded as in the shared reference (its table "Grade")."""

    PUBLISHED = "A"  # stated on an official DfE or GOV.UK page
    SECONDARY = "B"  # trade press, a regional body or a recruiter summarising the guidance
    ASSUMED = "C"  # inferred by us, or from a community re-implementation: verify before relying on it

    @property
    def label(self) -> str:
        return CERTAINTY_LABELS[self]


A, B, C = Certainty.PUBLISHED, Certainty.SECONDARY, Certainty.ASSUMED
CERTAINTY_LABELS = {
    A: "A: published guidance",
    B: "B: secondary source",
    C: "C: assumed (or a community re-implementation); verify before relying on it",
}

# Sources, named once (the shared reference gives the addresses).
GUIDANCE = "DfE, Child and family social workers: agency rules (statutory guidance, Oct 2024)"
COMPONENTS = "DfE support for social workers: statutory guidance components"
COMMUNITY_CARE = "Community Care, 2 Oct 2024: councils given £1,125 each to meet agency data requirements"
CYP_NOW = "CYP Now, 15 May 2024: DfE core job types"
CSWW_GUIDE = "DfE, Children's social work workforce census: guide to submitting data"
CSWW_METHOD = "DfE, Children's social work workforce methodology"
LIIA_SCHEMA = "SocialFinanceDigitalLabs/liia-tools: community re-implementation of the 2022 CSWW schema"
OURS = "Our proposal (the portal's data); DfE's template was not available"


# --- Code lists ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeList:
    """Our values → DfE's codes. ``values`` are what the portal holds (a core role's code, an engagement
    type, True/False...); a value missing here is an error the mapping test catches, not a blank cell."""

    name: str
    codes: dict
    certainty: Certainty
    basis: str
    blank: str = ""  # what a blank value is written as

    def encode(self, value):
        if value is None or value == "":
            return self.blank
        return self.codes[value]


# The 5 DfE core job types (rates.RoleCategory codes, seeded by migration) → the return's role type.
ROLE_TYPE = CodeList(
    "DfE role type",
    {
        "social-worker": "social_worker",
        "senior-social-worker": "senior_social_worker",
        "advanced-practitioner": "advanced_practitioner",
        "team-manager": "team_manager",
        "iro-cp-chair": "iro_cp_chair",
    },
    B,
    f"{CYP_NOW}; the code names are the shared reference's suggestion (section 2.2)",
)
ENGAGEMENT_TYPE = CodeList(
    "Payment route",
    {"paye": "paye", "umbrella": "umbrella", "limited-company": "ltd"},
    C,
    "The cap is defined on the limited company/umbrella basis, PAYE without NI and holiday (B); the field and "
    "its codes are ours (section 1.2, payment_route)",
)
YES_NO = CodeList("Yes/no", {True: "Y", False: "N"}, B, f"{COMMUNITY_CARE}: project team Y/N (section 1.2)")
# Degree of compliance with a rule in the quarter: DfE's scale is unknown (section 5, item 3).
COMPLIANCE_LEVEL = CodeList(
    "Degree of compliance",
    {
        "full": "Full",
        "partial": "Partial",
        "none": "None",
        "not_known": "Not known",
        "no_assignments": "No assignments in scope",
    },
    C,
    "DfE's scale is not published; full/partial/none with the % of assignments compliant is our suggestion",
)
# CSWW OrgRole (organisational role) for an agency worker's core job type (section 3.2 and its mapping).
CENSUS_ORG_ROLE = CodeList(
    "CSWW OrgRole",
    {
        "social-worker": "5",
        "senior-social-worker": "4",
        "advanced-practitioner": "4",
        "team-manager": "3",
        "iro-cp-chair": "4",  # "usually 4 or 6, by local decision": change here if the region decides 6
    },
    C,
    f"{LIIA_SCHEMA}; the mapping from core job types is ours",
)
AGENCY_WORKER = CodeList("CSWW AgencyWorker", {True: "1", False: "0"}, C, LIIA_SCHEMA)

CODE_LISTS = {
    "role_type": ROLE_TYPE,
    "engagement_type": ENGAGEMENT_TYPE,
    "yes_no": YES_NO,
    "compliance_level": COMPLIANCE_LEVEL,
    "census_org_role": CENSUS_ORG_ROLE,
    "agency_worker": AGENCY_WORKER,
}


# --- The rules, their thresholds and the dates they apply from ---------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """One statutory rule whose degree of compliance the return reports (section 2.1).

    ``applies_from``: assignments that started before it are outside the rule (transition). ``codes``: the
    portal's validation rules whose findings carry the borough's explanation of a breach. ``agreed``: a breach
    may be agreed by the DCS and Chief Executive (recorded in the portal), and the return says who and when."""

    key: str
    heading: str
    statement: str
    applies_from: date | None
    codes: tuple[str, ...]
    certainty: Certainty
    basis: str
    agreed: bool = False


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "price_cap",
        "Price caps",
        "Hourly pay (with employer NI, holiday pay and levy; less them for PAYE) within the regional cap for the "
        "core job type on the assignment's start date; above it only with the DCS's and Chief Executive's "
        "agreement, and reported.",
        date(2025, 10, 1),  # new assignments from 1 Oct 2025 (A); the draft had said 1 Apr 2025
        ("RATE-001",),
        B,
        f"{COMPONENTS} (A: caps per core job type, from 1 Oct 2025); sign-off by DCS and Chief Executive (B)",
        agreed=True,
    ),
    RuleSpec(
        "project_teams",
        "Project teams and packaged models",
        "Every worker in a project team or package is identified and approved by the authority in advance, with "
        "costs broken down per worker. The portal records only whether a row is a project-team worker, so it "
        "cannot judge this rule: it reports the workers concerned.",
        date(2024, 10, 31),
        (),
        B,
        f"{GUIDANCE}, via trade press (B); whether DfE asks for a degree of compliance for it: Community Care (B)",
    ),
    RuleSpec(
        "notice",
        "Notice periods",
        f"A notice period of no more than {MAXIMUM_NOTICE_WEEKS} weeks (or the authority's permanent staff's, "
        "if shorter).",
        date(2024, 10, 31),
        ("NOTICE-001",),
        B,
        "Local Government Lawyer on the final guidance (B); the 6-week proposal was dropped",
    ),
    RuleSpec(
        "cool_off",
        "Cool-off",
        "No agency engagement within the DfE cool-off (the period's setting, 3 months by default) of leaving a "
        "permanent post in the authority's own children's services or another authority of the region. The "
        "London Pledge's longer cool-off is the region's own rule, not reported here.",
        date(2024, 10, 31),
        ("COOL-001", "COOL-003"),
        B,
        "Local Government Lawyer (B); its exceptions (redundancy, probation...) from a secondary summary (B, lower)",
    ),
    RuleSpec(
        "pqe",
        "Post-qualifying experience",
        f"At least {MINIMUM_PQE_YEARS} years' post-qualifying experience; below it only with the DCS's and "
        "Chief Executive's agreement, and reported.",
        date(2024, 10, 31),
        ("PQE-001", "PQE-002"),
        B,
        "Community Care, May 2024 (B); exact definition of PQE not published (section 5, item 5)",
        agreed=True,
    ),
    RuleSpec(
        "references",
        "References",
        "At least two practice-based references, on DfE's standard template, before the assignment. The portal "
        "records whether references were received before the start.",
        date(2024, 10, 31),  # candidates offered assignments on or after 31 Oct 2024 (A)
        ("REF-001",),
        A,
        "DfE support for social workers: agency worker recruitment (A)",
    ),
)
RULES_BY_KEY = {rule.key: rule for rule in RULES}


# --- Collection windows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    key: str
    description: str
    certainty: Certainty
    basis: str


# The quarterly return: calendar quarters, due within about two months of the quarter's end.
QUARTERLY_DUE_MONTHS_AFTER_QUARTER = 2
CENSUS_REFERENCE_MONTH_DAY = (9, 30)  # the workforce census counts workers in post on 30 September
CENSUS_DUE_MONTH_DAY = (10, 31)  # returns due 31 October (2023-24 census); the database closes late November

WINDOWS: tuple[Window, ...] = (
    Window(
        "quarterly_first",
        "The first quarter collected was January to March 2025, submitted 1 April to 31 May 2025.",
        B,
        COMMUNITY_CARE,
    ),
    Window(
        "quarterly_later",
        f"Later quarters: the same pattern, due within {QUARTERLY_DUE_MONTHS_AFTER_QUARTER} months of the "
        "quarter's end (not confirmed).",
        C,
        "Inferred from the first quarter",
    ),
    Window(
        "census",
        "The workforce census counts agency workers in post on 30 September; the collection opens 1 October "
        "and returns are due 31 October.",
        A,
        CSWW_GUIDE,
    ),
)


# --- The sheets and their columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One column: our ``source`` (see the module's docstring), DfE's ``heading`` (ours until DfE publishes
    its template), the ``kind`` of value (``core.tables`` kinds) and the code list that encodes it, if any."""

    source: str
    heading: str
    kind: str = "text"
    codes: str | None = None  # a key of CODE_LISTS
    certainty: Certainty = C
    basis: str = OURS


@dataclass(frozen=True)
class SheetSpec:
    key: str
    title: str  # the sheet's name (31 characters at most) and the CSV's
    description: str
    fields: tuple[Field, ...]
    certainty: Certainty
    basis: str
    regional_only: bool = False
    census: bool = False
    extra: dict = field(default_factory=dict)


LA = (
    Field("borough.dfe_code", "LA code", certainty=A, basis="DfE's three-digit local authority number"),
    Field("borough.name", "LA name", certainty=A, basis="DfE's local authority name"),
)
QUARTER = Field("derived.quarter", "Quarter", certainty=A, basis=f"{COMPONENTS}: the return is quarterly")

COMPLIANCE = SheetSpec(
    "compliance",
    "Compliance",
    "Per rule, the degree to which the authority complied in the quarter, with the explanations it gave.",
    (
        *LA,
        QUARTER,
        Field("derived.rule", "Rule", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.level", "Degree of compliance", codes="compliance_level", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.percent_compliant", "Assignments compliant (%)", "percent"),
        Field("derived.in_scope", "Assignments in scope", "count"),
        Field("derived.compliant", "Compliant", "count"),
        Field("derived.breaches", "Not compliant", "count"),
        Field("derived.agreed", "Not compliant, agreed by DCS and Chief Executive", "count"),
        Field("derived.not_known", "Not known", "count"),
        Field("derived.explanations", "Explanation of non-compliance", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.return_status", "Return status"),
    ),
    B,
    f"{COMMUNITY_CARE}: degree of compliance with each rule, and the reasons for non-compliance",
)

BREACHES = SheetSpec(
    "breaches",
    "Breaches",
    "Each assignment that breaks a rule: what was broken, who agreed to it and when (price cap and PQE), or "
    "the authority's explanation.",
    (
        *LA,
        QUARTER,
        Field("derived.rule", "Rule", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.row", "Row", "count"),
        Field("assignment.registration_number", "SWE registration number", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.core_role", "Role type", codes="role_type", certainty=B, basis=CYP_NOW),
        Field("derived.agency", "Agency"),
        Field("assignment.start_date", "Assignment start date", "date", certainty=B, basis=COMMUNITY_CARE),
        Field("assignment.hourly_pay_rate", "Hourly pay rate (£)", "rate", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.cap", "Price cap (£)", "rate", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.over_cap", "Amount over the cap (£)", "rate", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.breach", "What was broken"),
        Field("derived.agreed", "Agreed by DCS and Chief Executive", codes="yes_no", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.agreed_by", "Director of Children's Services (who agreed)", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.agreed_by_title", "Their job title"),
        Field("derived.chief_executive", "Chief Executive (who agreed)", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.agreed_on", "Date agreed", "date", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.explanation", "Reason or explanation", certainty=B, basis=COMMUNITY_CARE),
    ),
    B,
    f"{COMMUNITY_CARE}: details of each price cap breach and who signed it off; sign-off by DCS and Chief "
    "Executive from a recruiter's summary (B)",
)

AGENCIES = SheetSpec(
    "agencies",
    "Agencies",
    "Agencies whose assignments broke a rule in the quarter, with the rules and the number of assignments.",
    (
        *LA,
        QUARTER,
        Field("derived.agency", "Agency", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.registered", "On the agency register", codes="yes_no"),
        Field("derived.rules", "Rules affected", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.breaches", "Assignments not compliant", "count"),
        Field("derived.agreed", "Of which agreed by DCS and Chief Executive", "count"),
        Field("derived.assignments", "Assignments in the quarter", "count"),
    ),
    B,
    f"{COMMUNITY_CARE}: the agencies whose behaviour affected compliance. Which agencies count is our "
    "reading (C): those with at least one assignment that broke a rule",
)

SPEND = SheetSpec(
    "spend",
    "Monthly spend",
    "Total cost of the agency workforce in each month of the quarter.",
    (
        *LA,
        QUARTER,
        Field("derived.month", "Month", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.spend", "Agency spend (£)", "money", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.reported_by", "Reported in the return of"),
    ),
    B,
    f"{COMMUNITY_CARE}: total monthly cost of the agency workforce",
)

ASSIGNMENTS = SheetSpec(
    "assignments",
    "Assignments",
    "Every agency assignment active in the quarter, one row each.",
    (
        *LA,
        QUARTER,
        Field("derived.row", "Row", "count"),
        Field("assignment.registration_number", "SWE registration number", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.core_role", "Role type", codes="role_type", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.local_role", "Local role"),
        Field("derived.agency", "Agency", basis="Not confirmed as a per-assignment item (section 1.2)"),
        Field("assignment.engagement_type", "Payment route", codes="engagement_type", basis="Section 1.2"),
        Field("assignment.start_date", "Assignment start date", "date", certainty=B, basis=COMMUNITY_CARE),
        Field("assignment.end_date", "Assignment end date", "date", certainty=B, basis=COMMUNITY_CARE),
        Field("assignment.hourly_pay_rate", "Hourly pay rate (£)", "rate", certainty=B, basis=COMMUNITY_CARE),
        Field("assignment.hourly_charge_rate", "Hourly charge rate (£)", "rate", basis="Not confirmed (section 1.2)"),
        Field(
            "assignment.project_team",
            "Project team or packaged model",
            codes="yes_no",
            certainty=B,
            basis=COMMUNITY_CARE,
        ),
        Field("assignment.pqe_years", "PQE (years)", "fte", basis="Not confirmed as a return item (section 1.2)"),
        Field("assignment.notice_period_weeks", "Notice period (weeks)", "count"),
        Field("assignment.reference_received", "References received before start", codes="yes_no"),
        Field("derived.cap", "Price cap (£)", "rate"),
        Field("derived.over_cap_flag", "Price cap breach", codes="yes_no", certainty=B, basis=COMMUNITY_CARE),
        Field("derived.cap_agreed_on", "Breach signed off on", "date", certainty=B, basis=COMMUNITY_CARE),
    ),
    B,
    f"{COMMUNITY_CARE}: the assignment-level items (SWE number, role, dates, pay rate, project team)",
)

# The regional extract's per-borough coverage: which boroughs' returns it holds and their status.
COVERAGE = SheetSpec(
    "coverage",
    "Coverage",
    "Each authority of the region: its reporting unit, its return's status and whether it is accepted.",
    (
        *LA,
        QUARTER,
        Field("derived.unit", "Reporting unit"),
        Field("derived.return_status", "Return status"),
        Field("derived.accepted", "Accepted by the region", codes="yes_no"),
        Field("derived.checked", "Checked at its latest revision", codes="yes_no"),
        Field("derived.rows", "Assignments", "count"),
    ),
    C,
    OURS,
)

# --- The children's social work workforce census: the agency-worker items (section 3) --------------------

CENSUS_LA = SheetSpec(
    "census_la",
    "Census LA level",
    "At 30 September: FTE vacancies, FTE and headcount of agency workers (the LALevelVacancies block).",
    (
        *LA,
        Field("derived.reference_date", "Reference date", "date", certainty=A, basis=CSWW_GUIDE),
        Field("derived.vacancies_fte", "NumberOfVacancies", "fte", basis=LIIA_SCHEMA),
        Field("derived.agency_fte", "NoAgencyFTE", "fte", basis=f"{LIIA_SCHEMA}; from the return's workforce section"),
        Field(
            "derived.agency_headcount",
            "NoAgencyHeadcount",
            "count",
            basis=f"{LIIA_SCHEMA}; distinct workers on assignments live at 30 September",
        ),
        Field("derived.workforce_headcount", "Agency headcount in the workforce section", "count"),
        Field("derived.note", "Note"),
    ),
    C,
    LIIA_SCHEMA,
    census=True,
)
CENSUS_ROLES = SheetSpec(
    "census_roles",
    "Census by role",
    "At 30 September, by core job type: agency workers in post, their FTE and vacancies (FTE).",
    (
        *LA,
        Field("derived.reference_date", "Reference date", "date", certainty=A, basis=CSWW_GUIDE),
        Field("derived.core_role", "Role type", codes="role_type", certainty=B, basis=CYP_NOW),
        Field("derived.core_role", "OrgRole", codes="census_org_role", basis=LIIA_SCHEMA),
        Field("derived.agency_headcount", "Agency workers in post", "count"),
        Field("derived.agency_fte", "Agency FTE", "fte"),
        Field("derived.vacancies_fte", "Vacancies (FTE)", "fte"),
    ),
    C,
    LIIA_SCHEMA,
    census=True,
)
CENSUS_WORKERS = SheetSpec(
    "census_workers",
    "Census agency workers",
    "One record per agency worker in post at 30 September (AgencyWorker = 1, with SWENo).",
    (
        *LA,
        Field("derived.agency_worker", "AgencyWorker", codes="agency_worker", basis=LIIA_SCHEMA),
        Field("assignment.registration_number", "SWENo", basis=LIIA_SCHEMA),
        Field("derived.core_role", "OrgRole", codes="census_org_role", basis=LIIA_SCHEMA),
        Field("derived.fte", "FTE", "fte", basis=f"{LIIA_SCHEMA}; the portal does not hold a worker's FTE"),
        Field("assignment.start_date", "RoleStartDate", "date", basis=LIIA_SCHEMA),
    ),
    C,
    f"{LIIA_SCHEMA}; DfE defines an agency worker as one not paid directly by the authority ({CSWW_METHOD}, A)",
    census=True,
)

RETURN_SHEETS: tuple[SheetSpec, ...] = (COMPLIANCE, BREACHES, AGENCIES, SPEND, ASSIGNMENTS)
CENSUS_SHEETS: tuple[SheetSpec, ...] = (CENSUS_LA, CENSUS_ROLES, CENSUS_WORKERS)
SHEETS: tuple[SheetSpec, ...] = (COVERAGE, *RETURN_SHEETS, *CENSUS_SHEETS)

# What every file says first: where the layout comes from.
PROVENANCE = (
    "DfE's template for this return is not public. The sheets and headings are the portal's reading of what "
    "is published; each column's certainty is listed on the Mapping sheet (A: published guidance; B: secondary "
    "source; C: assumed). Re-map in dfe/mapping.py when DfE publishes its template."
)
