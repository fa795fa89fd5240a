"""The rules a return is checked against (DESIGN.md sections 3 and 4): one small function per rule,
registered with a stable code, a severity, a title and a description for the rules page.

A *row rule* is called once per assignment row; a *return rule* once per return. Both read a
``ReturnContext`` (``returns.validation`` loads the return, its rows, its workforce section, the previous
return and what other boroughs report, once, before any rule runs) and yield ``Issue``s, which validation
turns into ``Finding``s with a key that stays the same across runs.

Codes never change meaning: explanations are kept by a key that starts with the code, the rules page
lists them, and breach sign-off counts "RATE-001" findings. Retire a code rather than reuse it.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from pledge_portal.core.identity import RegistrationNumberError, is_registration_number, parse_registration_number
from rates.models import EngagementType
from rates.selectors import RateCheckError

from .models import Assignment, Finding, WorkforceLine

if TYPE_CHECKING:
    from .validation import ReturnContext

ERROR = Finding.Severity.ERROR
QUERY = Finding.Severity.QUERY

MINIMUM_PQE_YEARS = Decimal(3)
MAXIMUM_NOTICE_WEEKS = 4
BIG_CHANGE_PERCENT = Decimal(25)


@dataclass(frozen=True)
class Issue:
    """What a rule found. ``subject`` names what a return rule's issue is about (a role, "spend"), so its
    key is stable; a row rule's issue is about its row."""

    message: str
    field: str = ""
    subject: str = ""


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    title: str
    description: str
    check: Callable[..., Iterator[Issue]]
    per_row: bool


_RULES: dict[str, Rule] = {}


def rule(*, code: str, severity: str, title: str, description: str, per_row: bool = True):
    """Register a rule. A row rule is ``check(row, ctx)``; a return rule (``per_row=False``) is
    ``check(ctx)``; both yield ``Issue``s."""

    def register(check):
        if code in _RULES:
            raise ValueError(f"Two rules have the code {code}.")
        _RULES[code] = Rule(code, severity, title, " ".join(description.split()), check, per_row)
        return check

    return register


def all_rules() -> list[Rule]:
    """Every rule, in the order they run (row rules first, by the order they are written here)."""
    return sorted(_RULES.values(), key=lambda r: not r.per_row)


# --- Wording ----------------------------------------------------------------------------------------


def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


def day(value: date) -> str:
    return f"{value:%-d %B %Y}"


def sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith(".") else f"{text}."


def percent(value: Decimal) -> str:
    return f"{value:.1f}".removesuffix(".0") + "%"


def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 August + 6 months is
    28 or 29 February)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def role_code(row: Assignment) -> str | None:
    """The code a rate check asks about: the local role's, when the row has one."""
    if row.local_role_id:
        return row.local_role.code
    return row.role.code if row.role_id else None


def core_role_id(row: Assignment) -> int | None:
    """The core job type the row counts under: its local role's, when it has one (as the rate check)."""
    if row.local_role_id:
        return row.local_role.core_id
    return row.role_id


# --- Within the row ---------------------------------------------------------------------------------

REQUIRED_FIELDS = (
    ("registration_number", "the worker's Social Work England registration number (SW followed by digits)"),
    ("role", "the role: one of the five core job types, or a local role from your region's rate card"),
    ("agency_name", "the name of the agency that supplies the worker"),
    ("engagement_type", "the engagement type: PAYE, umbrella company or limited company"),
    ("start_date", "the date the assignment started (for a carried-forward row, its original start)"),
    ("hourly_pay_rate", "the hourly pay rate, in pounds"),
    ("hourly_charge_rate", "the hourly charge rate (what the agency charges you), in pounds"),
    ("pqe_years", "the worker's years of post-qualifying experience"),
    ("notice_period_weeks", "the notice period, in weeks"),
    ("reference_received", "whether references were received before the worker started"),
)


@rule(
    code="ROW-001",
    severity=ERROR,
    title="Required information missing",
    description="""Every row needs the registration number, role, agency, engagement type, start date,
    hourly pay and charge rates, post-qualifying experience, notice period and whether references were
    received. Fill in what the finding names; a draft may be saved with gaps, but it cannot be submitted
    with them.""",
)
def required_fields(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    for name, what in REQUIRED_FIELDS:
        if name == "role":
            missing = not row.role_id and not row.local_role_id
        else:
            value = getattr(row, name)
            missing = value is None or value == ""
        if missing:
            yield Issue(f"Enter {what}.", field=name)


@rule(
    code="ROW-002",
    severity=ERROR,
    title="Registration number not recognised",
    description="""A Social Work England registration number is SW followed by digits, like SW123456. It is
    how the same worker is recognised across boroughs. Copy it from the Social Work England register.""",
)
def registration_number_format(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    if not row.registration_number or is_registration_number(row.registration_number):
        return
    try:  # stored before numbers were tidied where they come in: say how it should read
        number = parse_registration_number(row.registration_number).number
        message = f"Enter the registration number as {number}, without spaces or hidden characters."
    except RegistrationNumberError as exc:
        message = str(exc)
    yield Issue(message, field="registration_number")


@rule(
    code="ROW-003",
    severity=ERROR,
    title="Ends before it starts",
    description="""The end date of an assignment cannot be before its start date. Correct whichever date
    is wrong.""",
)
def end_before_start(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    if row.start_date and row.end_date and row.end_date < row.start_date:
        yield Issue(
            f"The end date ({day(row.end_date)}) is before the start date ({day(row.start_date)}). "
            "Correct whichever date is wrong.",
            field="end_date",
        )


@rule(
    code="ROW-004",
    severity=ERROR,
    title="Not active in the quarter",
    description="""A return reports the agency assignments active at some time in its quarter. A row that
    ended before the quarter began, or starts after it ends, belongs to another quarter's return: check
    its dates, and remove the row if they are right.""",
)
def active_in_quarter(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    period = ctx.period
    if row.start_date and row.start_date > period.ends_on:
        yield Issue(
            f"This assignment starts on {day(row.start_date)}, after the quarter ends on {day(period.ends_on)}. "
            "Check the start date; if it is right, remove the row and report it in next quarter's return.",
            field="start_date",
        )
    elif row.end_date and row.end_date < period.starts_on:
        yield Issue(
            f"This assignment ended on {day(row.end_date)}, before the quarter began on "
            f"{day(period.starts_on)}. Check the end date; if it is right, remove the row.",
            field="end_date",
        )


@rule(
    code="ROW-005",
    severity=QUERY,
    title="Charge rate below pay rate",
    description="""The hourly charge rate (what the agency charges the borough) normally covers the
    worker's pay and the agency's margin, so it is at least the pay rate. Check both rates; if they are
    right, explain why.""",
)
def charge_below_pay(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    pay, charge = row.hourly_pay_rate, row.hourly_charge_rate
    if pay is not None and charge is not None and charge < pay:
        yield Issue(
            f"The charge rate ({money(charge)} an hour) is below the pay rate ({money(pay)}). Check both "
            "rates with the agency; if they are right, explain why.",
            field="hourly_charge_rate",
        )


# --- Against the rate cards -------------------------------------------------------------------------


def _rate_check(row: Assignment, ctx: ReturnContext):
    """The rate check for a complete row, or the RateCheckError it raised; None if the row lacks what a
    check needs (ROW-001 reports that)."""
    code = role_code(row)
    if not (code and row.engagement_type and row.start_date and row.hourly_pay_rate is not None):
        return None
    try:
        return ctx.check_rate(
            role=code, engagement_type=row.engagement_type, on=row.start_date, hourly_rate=row.hourly_pay_rate
        )
    except RateCheckError as exc:
        return exc


@rule(
    code="RATE-001",
    severity=ERROR,
    title="Above the cap without a breach sign-off",
    description="""The hourly pay rate is above the regional cap for the role and engagement type on the
    rate card in force on the start date. Lower the rate to the cap, or ask your approver to sign off the
    breach on the row, recording the agreement of the Director of Children's Services and the Chief
    Executive. A signed-off breach is allowed, and is still reported to the region.""",
)
def rate_above_cap(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    check = _rate_check(row, ctx)
    if check is None or isinstance(check, RateCheckError) or check.within_cap:
        return
    engagement = EngagementType(row.engagement_type).label
    over = (
        f"{money(check.hourly_rate)} an hour is {money(check.excess)} ({percent(check.excess_percent)}) over "
        f"the {money(check.cap)} cap for {check.role_name} ({engagement}) in {check.rate_card}."
    )
    sign_off = row.breach_sign_off
    if sign_off is None:
        yield Issue(f"{over} Lower the rate, or ask your approver to sign off the breach.", field="hourly_pay_rate")
    elif sign_off.hourly_rate < check.hourly_rate:
        yield Issue(
            f"{over} The breach was signed off at {money(sign_off.hourly_rate)} an hour, not at this rate. "
            f"Lower the rate to {money(sign_off.hourly_rate)}, or ask your approver to sign off the new rate.",
            field="hourly_pay_rate",
        )


@rule(
    code="RATE-002",
    severity=QUERY,
    title="Rate could not be checked",
    description="""The pay rate could not be checked against a cap: for example, no rate card covers the
    start date, or the role is not on the region's rate cards. Check the role, engagement type and start
    date; if they are right, explain why no cap applies.""",
)
def rate_not_checked(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    check = _rate_check(row, ctx)
    if isinstance(check, RateCheckError):
        yield Issue(
            f"The pay rate could not be checked: {sentence(str(check))} Check the role, engagement type and start "
            "date; if they are right, explain why no cap applies.",
            field="hourly_pay_rate",
        )


# --- The Pledge's and DfE's rules about the worker ----------------------------------------------------


@rule(
    code="AGENCY-001",
    severity=QUERY,
    title="Agency not on the agency register",
    description="""The agency's name does not match an agency on the register (case, punctuation and "Ltd"
    do not matter), so its rows cannot be counted for that agency or shown to it. Correct the spelling; the
    finding names the nearest registered agency when there is one. If the agency is not registered, explain
    and tell your regional analyst.""",
)
def agency_on_register(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    if not row.agency_name or row.agency_id:
        return
    name = row.agency_name[:50] + ("…" if len(row.agency_name) > 50 else "")
    closest = ctx.closest_agency(row.agency_name)
    if closest is not None:
        yield Issue(
            f"“{name}” is not on the agency register. Did you mean {closest.name}? If so, correct the name; if "
            "not, explain which agency this is.",
            field="agency_name",
        )
    else:
        yield Issue(
            f"“{name}” is not on the agency register. Check the spelling; if the agency is not registered, "
            "explain and tell your regional analyst.",
            field="agency_name",
        )


@rule(
    code="PQE-001",
    severity=ERROR,
    title="Less than 3 years' post-qualifying experience",
    description="""Locum social workers need at least 3 years' post-qualifying experience (PQE). Check the
    figure with the agency and correct it if it is wrong. If it is right, the assignment breaks the rule:
    end it, or your approver records that the Director of Children's Services and the Chief Executive agreed
    to it (then it is reported as PQE-002).""",
)
def minimum_pqe(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    if row.pqe_years is not None and row.pqe_years < MINIMUM_PQE_YEARS:
        if ctx.agreed_to(row, "PQE-001", row.pqe_years):
            return
        yield Issue(
            f"This worker has {row.pqe_years} years' post-qualifying experience; locums need at least "
            f"{MINIMUM_PQE_YEARS}. Check the figure with the agency; if it is right, end the assignment or ask "
            "your approver to record the agreement of the Director of Children's Services and the Chief Executive.",
            field="pqe_years",
        )


@rule(
    code="PQE-002",
    severity=QUERY,
    title="Less than 3 years' post-qualifying experience, by agreement",
    description="""A locum with less than 3 years' post-qualifying experience whom the Director of Children's
    Services and the Chief Executive agreed to engage. The breach is reported to the region; the agreement,
    recorded by the approver, is its explanation.""",
)
def minimum_pqe_agreed(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    if row.pqe_years is not None and row.pqe_years < MINIMUM_PQE_YEARS and ctx.agreed_to(row, "PQE-001", row.pqe_years):
        yield Issue(
            f"This worker has {row.pqe_years} years' post-qualifying experience, under the {MINIMUM_PQE_YEARS} "
            "years locums need; the Director of Children's Services and the Chief Executive agreed to it. It is "
            "reported to the region as a breach.",
            field="pqe_years",
        )


@rule(
    code="NOTICE-001",
    severity=QUERY,
    title="Notice period over 4 weeks",
    description="""Agency assignments should have a notice period of no more than 4 weeks (or your
    permanent staff's notice period, if shorter). Check the figure; if it is right, explain why the
    assignment has a longer notice period.""",
)
def notice_period(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    weeks = row.notice_period_weeks
    if weeks is not None and weeks > MAXIMUM_NOTICE_WEEKS:
        yield Issue(
            f"The notice period is {weeks} weeks; it should be no more than {MAXIMUM_NOTICE_WEEKS}. Check it; "
            "if it is right, explain why it is longer.",
            field="notice_period_weeks",
        )


@rule(
    code="REF-001",
    severity=QUERY,
    title="References not received before the start",
    description="""Practice-based references on the shared template (at least two) should be received
    before a locum starts. If they were, change the row to say so; if not, explain why the worker started
    without them.""",
)
def reference_received(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    if row.reference_received is False:
        yield Issue(
            "References were not received before this worker started. If they were, change the row to say "
            "so; if not, explain why the worker started without them.",
            field="reference_received",
        )


@rule(
    code="COOL-001",
    severity=QUERY,
    title="Started within the cool-off after leaving another borough",
    description="""A worker who left a permanent post in another borough of the region must not start an
    agency assignment within the cool-off of leaving: the London Pledge's (6 months unless the period says
    otherwise) or DfE statutory guidance's (3 months), whichever is longer. Check the previous employer and
    both dates. If they are right, explain how the worker came to be engaged: the breach is shown to the
    region. (This is a query, not an error, so that a breach that happened is reported rather than left out
    to clear the check.)""",
)
def cool_off(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    if not (_left_another_borough(row, ctx) and row.left_previous_on and row.start_date):
        return
    pledge, dfe = ctx.period.cool_off_months, ctx.period.dfe_cool_off_months
    months = max(pledge, dfe)
    earliest = add_months(row.left_previous_on, months)
    if row.start_date < earliest:
        broken = (
            f"the London Pledge's {pledge}-month cool-off"
            if row.start_date >= add_months(row.left_previous_on, dfe)
            else f"the DfE's {dfe}-month and the London Pledge's {pledge}-month cool-offs"
            if pledge > dfe
            else f"the DfE's {dfe}-month cool-off"
        )
        yield Issue(
            f"This worker left a permanent post with {row.previous_employer.name} on {day(row.left_previous_on)} "
            f"and started here on {day(row.start_date)}, within {broken} (the earliest allowed start was "
            f"{day(earliest)}). Check the employer and both dates; if they are right, explain how the worker "
            "came to be engaged.",
            field="start_date",
        )


@rule(
    code="COOL-003",
    severity=QUERY,
    title="Started within the DfE cool-off after leaving this borough",
    description="""DfE statutory guidance also covers the borough's own leavers: a worker who left a
    permanent post with the borough must not come back as its agency worker within the DfE cool-off (3 months
    unless the period says otherwise). Check the dates; if they are right, explain how the worker came to be
    engaged (the guidance's exceptions, such as redundancy or leaving in probation, belong in the
    explanation).""",
)
def own_leaver_cool_off(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    employer = row.previous_employer
    if not (employer is not None and employer.pk == row.borough_id and row.left_previous_on and row.start_date):
        return
    months = ctx.period.dfe_cool_off_months
    earliest = add_months(row.left_previous_on, months)
    if row.start_date < earliest:
        yield Issue(
            f"This worker left a permanent post with {employer.name} on {day(row.left_previous_on)} and came back "
            f"as an agency worker on {day(row.start_date)}, within the DfE's {months}-month cool-off (the "
            f"earliest allowed start was {day(earliest)}). Check both dates; if they are right, explain how the "
            "worker came to be engaged.",
            field="start_date",
        )


@rule(
    code="COOL-002",
    severity=QUERY,
    title="Leaving date of a previous borough post missing",
    description="""When a worker's last permanent post was with a borough of the region (this one or
    another), the date they left it is needed to check the cool-off. Enter it; if you cannot find it out,
    explain why.""",
)
def cool_off_date_missing(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    employer = row.previous_employer
    if employer is not None and employer.region_id == ctx.region.pk and not row.left_previous_on:
        yield Issue(
            f"Enter the date this worker left their permanent post with {employer.name}, so the cool-off can "
            "be checked. If you cannot find it out, explain why.",
            field="left_previous_on",
        )


def _declared_alike(row: Assignment, match) -> bool:
    """Whether the row itself declares the leaving the register found (the same borough and day): COOL-001 or
    COOL-003 then already reports it, with the same windows, and one query is enough."""
    return row.previous_employer_id == match.left_borough_id and row.left_previous_on == match.leaving_date


@rule(
    code="COOL-004",
    severity=QUERY,
    title="Started within the cool-off after leaving another borough (leavers register)",
    description="""Boroughs report the permanent social workers who leave them in their returns. This worker's
    registration number is on that register: they left a permanent post in another borough of the region and
    started this agency assignment within the cool-off (the London Pledge's 6 months or DfE's 3, whichever is
    longer), whatever the row says about their previous employer. The finding gives the leaving date, not the
    borough; the regional team sees both. Check the registration number and start date; if they are right,
    explain how the worker came to be engaged: the breach is shown to the region.""",
)
def cool_off_from_register(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    match = ctx.register_matches.get(row.pk)
    if match is None or match.own_borough or _declared_alike(row, match):
        return
    yield Issue(
        f"The leavers register shows this worker ({row.registration_number}) left a permanent post in another "
        f"borough of {ctx.region.name} on {day(match.leaving_date)} and started here on {day(row.start_date)}, "
        f"within {match.broken} (the earliest allowed start was {day(match.earliest)}). Check the registration "
        "number and start date; if they are right, explain how the worker came to be engaged.",
        field="start_date",
    )


@rule(
    code="COOL-005",
    severity=QUERY,
    title="Started within the DfE cool-off after leaving this borough (leavers register)",
    description="""Your own borough reported this worker as a permanent leaver, and they came back as its agency
    worker within DfE statutory guidance's cool-off (3 months unless the period says otherwise), whatever the
    row says about their previous employer. Check the registration number and both dates; if they are right,
    explain how the worker came to be engaged (the guidance's exceptions, such as redundancy or leaving in
    probation, belong in the explanation).""",
)
def own_leaver_from_register(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    match = ctx.register_matches.get(row.pk)
    if match is None or not match.own_borough or _declared_alike(row, match):
        return
    yield Issue(
        f"Your own borough reported this worker ({row.registration_number}) leaving a permanent post on "
        f"{day(match.leaving_date)}, and they came back as an agency worker on {day(row.start_date)}, within "
        f"{match.broken} (the earliest allowed start was {day(match.earliest)}). Check the registration number "
        "and both dates; if they are right, explain how the worker came to be engaged.",
        field="start_date",
    )


def _left_another_borough(row: Assignment, ctx: ReturnContext) -> bool:
    employer = row.previous_employer
    return employer is not None and employer.region_id == ctx.region.pk and employer.pk != row.borough_id


# --- Across the return and across boroughs ----------------------------------------------------------


@rule(
    code="DUP-001",
    severity=ERROR,
    title="Same worker on two rows for overlapping dates",
    description="""A worker can hold one agency assignment with you at a time. If two rows are the same
    assignment, remove one. If the assignment changed (a new role or rate), end the earlier row the day
    before the later one starts.""",
)
def overlapping_rows(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    others = ctx.overlapping_rows.get(row.pk)
    if others:
        positions = ", ".join(str(other.position) for other in others[:10])
        yield Issue(
            f"This worker ({row.registration_number}) is also on row{'s' if len(others) > 1 else ''} "
            f"{positions} for overlapping dates. If it is the same assignment, remove the extra row; if the "
            "assignment changed, end the earlier row the day before the later one starts.",
            field="start_date",
        )


@rule(
    code="CROSS-001",
    severity=QUERY,
    title="Reported by another borough for overlapping dates",
    description="""Another borough of the region reports the same registration number on an agency
    assignment for dates that overlap this row's. The portal does not say which borough, or anything else
    about its assignment. Check the registration number and dates with the agency; if both are right (for
    example, part-time work for two boroughs), explain.""",
)
def reported_by_another_borough(row: Assignment, ctx: ReturnContext) -> Iterator[Issue]:
    overlap = ctx.reported_elsewhere.get(row.pk)
    if overlap is None:
        return
    starts, ends = overlap
    dates = f"from {day(starts)} to {day(ends)}" if ends else f"from {day(starts)} onwards"
    yield Issue(
        f"Another borough in {ctx.region.name} also reports this worker ({row.registration_number}) on an "
        f"agency assignment for dates that overlap this row's, {dates}. Check the registration number and "
        "dates with the agency; if both are right, explain.",
        field="registration_number",
    )


# --- The workforce section and the previous return --------------------------------------------------


FIGURE_LABELS = {
    "permanent_headcount": "permanent headcount",
    "permanent_fte": "permanent FTE",
    "agency_headcount": "agency headcount",
    "agency_fte": "agency FTE",
    "vacancies_fte": "vacancies (FTE)",
    "starters": "permanent starters",
    "leavers": "permanent leavers",
}


@rule(
    code="AGG-001",
    severity=ERROR,
    title="Workforce figures missing",
    description="""The workforce section needs, for every role, permanent and agency headcount and FTE,
    vacancies (FTE), permanent starters and leavers; and, for the return, the agency spend for each month
    and the number of agency project teams. Enter 0 where there are none.""",
    per_row=False,
)
def workforce_figures_missing(ctx: ReturnContext) -> Iterator[Issue]:
    for line in ctx.lines:
        missing = [FIGURE_LABELS[name] for name in WorkforceLine.FIGURES if getattr(line, name) is None]
        if missing:
            yield Issue(
                f"{line.role.name}: enter {_and(missing)} in the workforce section (0 if there are none).",
                field="workforce",
                subject=line.role.code,
            )
    ret = ctx.ret
    months = [
        calendar.month_name[add_months(ctx.period.starts_on, i).month]
        for i, value in enumerate([ret.agency_spend_month_1, ret.agency_spend_month_2, ret.agency_spend_month_3])
        if value is None
    ]
    if months:
        yield Issue(
            f"Enter the agency spend for {_and(months)} in the workforce section (0 if there was none).",
            field="agency_spend",
            subject="spend",
        )
    if ret.project_teams is None:
        yield Issue(
            "Enter the number of agency project teams in the workforce section (0 if there were none).",
            field="project_teams",
            subject="project-teams",
        )


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


@rule(
    code="AGG-002",
    severity=QUERY,
    title="Agency headcount differs from the rows",
    description="""For each role, the agency headcount in the workforce section should equal the number of
    rows for that role still active on the last day of the quarter. Correct the headcount or the rows; if
    both are right (for example, an agency worker not on an hourly assignment), explain.""",
    per_row=False,
)
def headcount_matches_rows(ctx: ReturnContext) -> Iterator[Issue]:
    active: dict[int, int] = {}
    for row in ctx.rows:
        role_id = core_role_id(row)
        if role_id and row.is_active_on(ctx.period.ends_on):
            active[role_id] = active.get(role_id, 0) + 1
    for line in ctx.lines:
        rows = active.get(line.role_id, 0)
        if line.agency_headcount is not None and line.agency_headcount != rows:
            yield Issue(
                f"{line.role.name}: the agency headcount is {line.agency_headcount}, but {rows} "
                f"row{'s are' if rows != 1 else ' is'} active on {day(ctx.period.ends_on)}. Correct the headcount "
                "or the rows; if both are right, explain.",
                field="agency_headcount",
                subject=line.role.code,
            )


@rule(
    code="TREND-001",
    severity=QUERY,
    title="Big change since the previous quarter",
    description="""The total agency headcount, or the quarter's agency spend, changed by more than 25% since
    your previous return. Check the figures; if they are right, explain the change (for example, a new
    project team).""",
    per_row=False,
)
def big_change_since_previous(ctx: ReturnContext) -> Iterator[Issue]:
    previous = ctx.previous
    if previous is None:
        return
    figures = (
        (
            "agency_headcount",
            "The total agency headcount",
            ctx.agency_headcount(ctx.previous_lines),
            ctx.agency_headcount(ctx.lines),
            str,
        ),
        ("agency_spend", "The agency spend", previous.agency_spend, ctx.ret.agency_spend, money),
    )
    for name, what, before, now, shown in figures:
        if now is None or not before:  # no figure, or a change from nothing that no percentage describes
            continue
        change = (Decimal(now) - Decimal(before)) / Decimal(before) * 100
        if abs(change) > BIG_CHANGE_PERCENT:
            yield Issue(
                f"{what} {'rose' if change > 0 else 'fell'} by {percent(abs(change))}, from {shown(before)} in "
                f"{previous.period.label} to {shown(now)}. Check the figure; if it is right, explain the change.",
                field=name,
                subject=name,
            )
