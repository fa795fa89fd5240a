"""What the DfE return and the census say, worked out from a period's returns: one function,
``build_content``, for one borough's file and for the region's extract alike.

It reads the returns of every status (the file says which are accepted and which are not yet), so a borough can
prepare its DfE return from the same rows it sends the region. Each row is judged against each statutory rule of
``mapping.RULES`` from its own data, with the thresholds the validation rules use (``returns.rules``) and the
period's DfE cool-off, not from the Pledge's findings: the Pledge's cool-off is longer than DfE's, so a row the
Pledge flags may keep the DfE rule. The findings are read only for the borough's explanations of a breach.

A record is a dict: the objects a field's ``source`` names (``assignment``, ``borough``, ``return``...) and
``derived``, the values worked out here, whose names per sheet are ``DERIVED``. A fixed number of queries,
whatever the number of boroughs and rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from boroughs.models import Borough
from dashboards.figures.scope import cap_sql, quarter_label
from pledge_portal.core.text import quote
from rates.models import RoleCategory
from returns.models import (
    Assignment,
    Finding,
    QueryExplanation,
    ReportingPeriod,
    ReportingUnit,
    Return,
    StatutoryException,
    ValidationRun,
    WorkforceLine,
)
from returns.rules import MAXIMUM_NOTICE_WEEKS, MINIMUM_PQE_YEARS, add_months

from . import mapping
from .mapping import CENSUS_REFERENCE_MONTH_DAY, RULES

# The values the builder works out, per sheet: every ``derived.<name>`` a mapped field names must be here
# (tests/dfe/test_mapping.py), and every record of the sheet carries them all.
DERIVED: dict[str, frozenset[str]] = {
    "coverage": frozenset({"quarter", "unit", "return_status", "accepted", "checked", "rows"}),
    "compliance": frozenset(
        {
            "quarter",
            "rule",
            "level",
            "percent_compliant",
            "in_scope",
            "compliant",
            "breaches",
            "agreed",
            "not_known",
            "explanations",
            "return_status",
        }
    ),
    "breaches": frozenset(
        {
            "quarter",
            "rule",
            "row",
            "core_role",
            "agency",
            "cap",
            "over_cap",
            "breach",
            "agreed",
            "agreed_by",
            "agreed_by_title",
            "chief_executive",
            "agreed_on",
            "explanation",
        }
    ),
    "agencies": frozenset({"quarter", "agency", "registered", "rules", "breaches", "agreed", "assignments"}),
    "spend": frozenset({"quarter", "month", "spend", "reported_by"}),
    "assignments": frozenset(
        {"quarter", "row", "core_role", "local_role", "agency", "cap", "over_cap_flag", "cap_agreed_on"}
    ),
    "census_la": frozenset(
        {"reference_date", "vacancies_fte", "agency_fte", "agency_headcount", "workforce_headcount", "note"}
    ),
    "census_roles": frozenset({"reference_date", "core_role", "agency_headcount", "agency_fte", "vacancies_fte"}),
    "census_workers": frozenset({"agency_worker", "core_role", "fte"}),
}

EXPLANATIONS_LISTED = 20  # per rule and borough on the Compliance sheet; every one is on the Breaches sheet
EXPLANATION_CHARACTERS = 300  # each, on the Compliance sheet
NO_AGENCY = "(agency not given)"

COMPLIANT, BREACH, NOT_KNOWN = "compliant", "breach", "not_known"


@dataclass
class Agreement:
    """Who agreed to a breach, and when: the DCS (the approver who recorded it) and the Chief Executive."""

    by: str
    title: str
    chief_executive: str
    on: date
    reason: str


@dataclass
class Verdict:
    status: str  # COMPLIANT, BREACH or NOT_KNOWN
    breach: str = ""
    agreement: Agreement | None = None
    explanation: str = ""


@dataclass
class CoverageLine:
    borough: Borough
    unit: ReportingUnit | None
    ret: Return | None
    rows: int = 0

    @property
    def status(self) -> str:
        if self.unit is None:
            return "No reporting unit"
        return self.ret.get_status_display() if self.ret else "No return started"

    @property
    def accepted(self) -> bool:
        return bool(self.ret) and self.ret.status == Return.Status.ACCEPTED

    @property
    def checked(self) -> bool | None:
        return None if self.ret is None else self.ret.validated_revision == self.ret.revision

    @property
    def joint_with(self) -> list[str]:
        return [b.name for b in self.unit.boroughs.all() if b.pk != self.borough.pk] if self.unit else []


@dataclass
class Content:
    period: ReportingPeriod
    boroughs: list[Borough]
    regional: bool
    coverage: list[CoverageLine]
    records: dict[str, list[dict]]
    census_date: date | None
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def quarter(self) -> str:
        return quarter_label(self.period.starts_on)

    @property
    def subject(self) -> str:
        return self.period.region.name if self.regional else self.boroughs[0].name

    @property
    def accepted(self) -> int:
        return sum(line.accepted for line in self.coverage)

    @property
    def coverage_text(self) -> str:
        """ "2 of 3 boroughs' returns are accepted; not yet: Hackney (Submitted), ...": said before any figure."""
        waiting = [f"{line.borough.name} ({line.status})" for line in self.coverage if not line.accepted]
        text = f"{self.accepted} of {len(self.coverage)} {'boroughs’' if self.regional else 'borough’s'} returns "
        text += "accepted by the region"
        if waiting:
            text += f"; not yet accepted: {', '.join(waiting[:40])}"
            text += f" and {len(waiting) - 40} more" if len(waiting) > 40 else ""
            text += ". Figures from a return not yet accepted may still change"
        return text + "."


def census_date(period: ReportingPeriod) -> date | None:
    """The census reference date (30 September) when it falls in the period, else None."""
    month, day = CENSUS_REFERENCE_MONTH_DAY
    for year in {period.starts_on.year, period.ends_on.year}:
        on = date(year, month, day)
        if period.starts_on <= on <= period.ends_on:
            return on
    return None


def _name(user) -> str:
    return (user.get_full_name() or user.email) if user else ""


def _core(row: Assignment) -> RoleCategory | None:
    return row.local_role.core if row.local_role_id else row.role


def _agency(row: Assignment) -> str:
    return row.agency.name if row.agency_id else (row.agency_name or NO_AGENCY)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


class _Judge:
    """Each row against each rule, with what the rules need loaded once."""

    def __init__(self, period: ReportingPeriod, rows: list[Assignment], returns: list[Return]):
        self.period = period
        self.region_id = period.region_id
        self.explanations = _explanations(returns)
        low = {r.registration_number for r in rows if r.pqe_years is not None and r.pqe_years < MINIMUM_PQE_YEARS}
        self.exceptions: dict[tuple, StatutoryException] = {}
        if low:
            for agreed in StatutoryException.objects.filter(
                rule_code=StatutoryException.Rule.PQE,
                borough_id__in={r.borough_id for r in rows},
                registration_number__in=low,
            ).select_related("signed_by"):
                key = (agreed.borough_id, agreed.registration_number, agreed.assignment_start, agreed.agreed_value)
                self.exceptions.setdefault(key, agreed)  # newest first

    def verdict(self, rule: mapping.RuleSpec, row: Assignment) -> Verdict | None:
        """None: the rule does not apply to the row (it started before the rule, or is not a project-team row)."""
        if row.start_date is not None and rule.applies_from and row.start_date < rule.applies_from:
            return None
        verdict = getattr(self, rule.key)(row)
        if verdict is not None and verdict.status == BREACH and not verdict.explanation:
            verdict.explanation = next(
                (self.explanations[(row.pk, code)] for code in rule.codes if (row.pk, code) in self.explanations), ""
            )
        return verdict

    def price_cap(self, row) -> Verdict:
        pay, cap = row.hourly_pay_rate, row.cap
        if pay is None or cap is None:
            return Verdict(NOT_KNOWN)
        if pay <= cap:
            return Verdict(COMPLIANT)
        excess = pay - cap
        breach = f"£{pay} an hour is £{excess} ({_percent_of(excess, cap)}%) over the £{cap} cap"
        sign_off = row.breach_sign_off
        if sign_off is not None and sign_off.hourly_rate >= pay:
            return Verdict(
                BREACH,
                breach,
                Agreement(
                    _name(sign_off.signed_by),
                    sign_off.signed_by_title,
                    sign_off.chief_executive,
                    sign_off.signed_on,
                    sign_off.reason,
                ),
                sign_off.reason,
            )
        return Verdict(BREACH, breach + "; no sign-off recorded")

    def project_teams(self, row) -> Verdict | None:
        return Verdict(NOT_KNOWN) if row.project_team else None

    def notice(self, row) -> Verdict:
        weeks = row.notice_period_weeks
        if weeks is None:
            return Verdict(NOT_KNOWN)
        if weeks <= MAXIMUM_NOTICE_WEEKS:
            return Verdict(COMPLIANT)
        return Verdict(BREACH, f"{weeks} weeks' notice; at most {MAXIMUM_NOTICE_WEEKS}")

    def cool_off(self, row) -> Verdict:
        employer = row.previous_employer
        if employer is None or employer.region_id != self.region_id:
            return Verdict(COMPLIANT)
        if row.left_previous_on is None or row.start_date is None:
            return Verdict(NOT_KNOWN)
        months = self.period.dfe_cool_off_months
        if row.start_date >= add_months(row.left_previous_on, months):
            return Verdict(COMPLIANT)
        return Verdict(
            BREACH,
            f"Left a permanent post with {employer.name} on {row.left_previous_on:%-d %b %Y} and started on "
            f"{row.start_date:%-d %b %Y}, within the DfE's {months}-month cool-off",
        )

    def pqe(self, row) -> Verdict:
        if row.pqe_years is None:
            return Verdict(NOT_KNOWN)
        if row.pqe_years >= MINIMUM_PQE_YEARS:
            return Verdict(COMPLIANT)
        breach = f"{row.pqe_years} years' PQE; at least {MINIMUM_PQE_YEARS} required"
        agreed = self.exceptions.get((row.borough_id, row.registration_number, row.start_date, str(row.pqe_years)))
        if agreed is None:
            return Verdict(BREACH, breach + "; no agreement recorded")
        return Verdict(
            BREACH,
            breach,
            Agreement(
                _name(agreed.signed_by), agreed.signed_by_title, agreed.chief_executive, agreed.signed_on, agreed.reason
            ),
            agreed.reason,
        )

    def references(self, row) -> Verdict:
        if row.reference_received is None:
            return Verdict(NOT_KNOWN)
        if row.reference_received:
            return Verdict(COMPLIANT)
        return Verdict(BREACH, "References not received before the start")


def _percent_of(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if whole else Decimal(0)


def _explanations(returns: list[Return]) -> dict[tuple[int, str], str]:
    """The borough's written answers to the rules' queries, by (row, rule code), from each return's latest
    finished check. One query."""
    if not returns:
        return {}
    codes = [code for rule in RULES for code in rule.codes]
    latest = (
        ValidationRun.objects.filter(ret=OuterRef("ret"), finished_at__isnull=False)
        .order_by("-finished_at", "-pk")
        .values("pk")[:1]
    )
    text = QueryExplanation.objects.filter(ret=OuterRef("ret"), key=OuterRef("key")).values("text")[:1]
    found = (
        Finding.objects.filter(ret__in=[r.pk for r in returns], rule_code__in=codes, assignment__isnull=False)
        .filter(run_id=Subquery(latest))
        .annotate(text=Subquery(text))
        .exclude(text=None)
        .values_list("assignment_id", "rule_code", "text")
    )
    return {(assignment, code): value for assignment, code, value in found}


def build_content(period: ReportingPeriod, *, borough: Borough | None = None, progress=None) -> Content:
    """The DfE return (and, when the period holds 30 September, the census items) for ``borough``, or for every
    borough of the period's region when ``borough`` is None. The caller has checked access."""
    progress = progress or (lambda percent, message: None)
    region = period.region
    boroughs = [borough] if borough is not None else list(Borough.objects.filter(region=region).order_by("name"))
    units = {}
    for unit in (
        ReportingUnit.objects.filter(region=region, boroughs__in=boroughs).distinct().prefetch_related("boroughs")
    ):
        for member in unit.boroughs.all():
            units.setdefault(member.pk, unit)
    returns = {
        r.unit_id: r
        for r in Return.objects.filter(period=period, unit__in={u.pk for u in units.values()}).select_related("unit")
    }
    progress(10, "Reading the assignments")
    rows = list(
        Assignment.objects.filter(ret__in=[r.pk for r in returns.values()], borough__in=[b.pk for b in boroughs])
        .select_related(
            "borough", "role", "local_role__core", "agency", "previous_employer", "breach_sign_off__signed_by", "ret"
        )
        .annotate(cap=cap_sql([region.pk]))
        .order_by("borough__name", "ret_id", "position")
    )
    rows_of: dict[int, list[Assignment]] = defaultdict(list)
    for row in rows:
        rows_of[row.borough_id].append(row)
    judge = _Judge(period, rows, list(returns.values()))
    quarter = quarter_label(period.starts_on)
    coverage = []
    records: dict[str, list[dict]] = {key: [] for key in DERIVED}
    progress(30, "Judging each assignment against each rule")
    for b in boroughs:
        unit = units.get(b.pk)
        ret = returns.get(unit.pk) if unit else None
        line = CoverageLine(b, unit, ret, len(rows_of[b.pk]))
        coverage.append(line)
        base = {"borough": b, "return": ret, "period": period}
        status = line.status
        records["coverage"].append(
            {
                **base,
                "derived": {
                    "quarter": quarter,
                    "unit": unit.name if unit else "",
                    "return_status": status,
                    "accepted": line.accepted,
                    "checked": line.checked,
                    "rows": line.rows,
                },
            }
        )
        _borough_records(records, base, quarter, status, rows_of[b.pk], judge)
        _spend(records, base, quarter, period, line)
    progress(60, "Adding the census items")
    on = census_date(period)
    if on is not None:
        _census(records, coverage, rows_of, on, list(returns.values()))
    return Content(period, boroughs, borough is None, coverage, records, on)


def _borough_records(records, base, quarter, status, rows, judge: _Judge) -> None:
    verdicts = {rule.key: [(row, judge.verdict(rule, row)) for row in rows] for rule in RULES}
    cap_verdicts = {row.pk: v for row, v in verdicts["price_cap"]}
    by_agency: dict[str, dict] = {}
    for row in rows:
        core = _core(row)
        cap_verdict = cap_verdicts[row.pk]
        agreed_cap = cap_verdict.agreement if cap_verdict and cap_verdict.status == BREACH else None
        records["assignments"].append(
            {
                **base,
                "assignment": row,
                "derived": {
                    "quarter": quarter,
                    "row": row.position,
                    "core_role": core.code if core else None,
                    "local_role": row.local_role.name if row.local_role_id else "",
                    "agency": _agency(row) if (row.agency_id or row.agency_name) else "",
                    "cap": row.cap,
                    # As the Breaches sheet judges it: blank when not known or the caps did not apply yet.
                    "over_cap_flag": None
                    if cap_verdict is None or cap_verdict.status == NOT_KNOWN
                    else cap_verdict.status == BREACH,
                    "cap_agreed_on": agreed_cap.on if agreed_cap else None,
                },
            }
        )
        agency = by_agency.setdefault(
            _agency(row),
            {"registered": bool(row.agency_id), "rules": [], "breaches": set(), "agreed": set(), "rows": 0},
        )
        agency["rows"] += 1
    for rule in RULES:
        judged = [(row, v) for row, v in verdicts[rule.key] if v is not None]
        compliant = sum(v.status == COMPLIANT for _, v in judged)
        breaches = [(row, v) for row, v in judged if v.status == BREACH]
        not_known = sum(v.status == NOT_KNOWN for _, v in judged)
        agreed = sum(v.agreement is not None for _, v in breaches)
        for row, v in breaches:
            core = _core(row)
            records["breaches"].append(
                {
                    **base,
                    "assignment": row,
                    "derived": {
                        "quarter": quarter,
                        "rule": rule.heading,
                        "row": row.position,
                        "core_role": core.code if core else None,
                        "agency": _agency(row),
                        "cap": row.cap if rule.key == "price_cap" else None,
                        "over_cap": (row.hourly_pay_rate - row.cap) if rule.key == "price_cap" else None,
                        "breach": v.breach,
                        "agreed": (v.agreement is not None) if rule.agreed else None,
                        "agreed_by": v.agreement.by if v.agreement else "",
                        "agreed_by_title": v.agreement.title if v.agreement else "",
                        "chief_executive": v.agreement.chief_executive if v.agreement else "",
                        "agreed_on": v.agreement.on if v.agreement else None,
                        "explanation": v.explanation,
                    },
                }
            )
            agency = by_agency[_agency(row)]
            if rule.heading not in agency["rules"]:
                agency["rules"].append(rule.heading)
            agency["breaches"].add(row.pk)
            if v.agreement is not None:
                agency["agreed"].add(row.pk)
        records["compliance"].append(
            {
                **base,
                "derived": {
                    "quarter": quarter,
                    "rule": rule.heading,
                    "level": _level(compliant, len(breaches), not_known),
                    "percent_compliant": _percent(compliant, compliant + len(breaches)),
                    "in_scope": len(judged),
                    "compliant": compliant,
                    "breaches": len(breaches),
                    "agreed": agreed,
                    "not_known": not_known,
                    "explanations": _explanation_text(breaches),
                    "return_status": status,
                },
            }
        )
    for name, agency in sorted(by_agency.items()):
        if not agency["breaches"]:
            continue
        records["agencies"].append(
            {
                **base,
                "derived": {
                    "quarter": quarter,
                    "agency": name,
                    "registered": agency["registered"],
                    "rules": ", ".join(agency["rules"]),
                    "breaches": len(agency["breaches"]),
                    "agreed": len(agency["agreed"]),
                    "assignments": agency["rows"],
                },
            }
        )


def _level(compliant: int, breaches: int, not_known: int) -> str:
    if compliant + breaches + not_known == 0:
        return "no_assignments"
    if compliant + breaches == 0:
        return "not_known"
    if breaches == 0:
        return "full"
    return "none" if compliant == 0 else "partial"


def _explanation_text(breaches: list[tuple[Assignment, Verdict]]) -> str:
    """The explanations given for a rule's breaches, each cut, at most ``EXPLANATIONS_LISTED``; and how many
    breaches have none."""
    given = [(row, v) for row, v in breaches if v.explanation]
    parts = [
        f"Row {row.position} ({row.registration_number or 'no SWE number'}): "
        f"{quote(v.explanation, EXPLANATION_CHARACTERS)}"
        for row, v in given[:EXPLANATIONS_LISTED]
    ]
    if len(given) > EXPLANATIONS_LISTED:
        parts.append(f"and {len(given) - EXPLANATIONS_LISTED} more (every one is on the Breaches sheet)")
    if len(given) < len(breaches):
        parts.append(f"{len(breaches) - len(given)} not explained")
    return "; ".join(parts)


def _spend(records, base, quarter, period: ReportingPeriod, line: CoverageLine) -> None:
    ret = line.ret
    reported_by = ""
    if line.unit is not None:
        reported_by = line.unit.name
        if line.joint_with:
            reported_by += f" (joint with {', '.join(line.joint_with)}: the figure covers them all)"
    for index in range(3):
        month = add_months(period.starts_on.replace(day=1), index)
        records["spend"].append(
            {
                **base,
                "derived": {
                    "quarter": quarter,
                    "month": f"{month:%B %Y}",
                    "spend": getattr(ret, f"agency_spend_month_{index + 1}") if ret else None,
                    "reported_by": reported_by,
                },
            }
        )


def _sum(values) -> Decimal | None:
    values = [v for v in values if v is not None]
    return sum(values, Decimal(0)) if values else None


def _census(records, coverage: list[CoverageLine], rows_of, on: date, returns: list[Return]) -> None:
    lines: dict[int, list[WorkforceLine]] = defaultdict(list)
    for line in WorkforceLine.objects.filter(ret__in=[r.pk for r in returns]).select_related("role"):
        lines[line.ret_id].append(line)
    roles = list(RoleCategory.objects.order_by("order"))
    for cover in coverage:
        b = cover.borough
        base = {"borough": b, "return": cover.ret}
        workforce = lines.get(cover.ret.pk, []) if cover.ret else []
        # One record per worker: the same registration number on two rows (a change of role) is one worker.
        workers: dict[str, Assignment] = {}
        for row in rows_of[b.pk]:
            if row.is_active_on(on):
                workers.setdefault(row.registration_number or f"row-{row.pk}", row)
        note = "No return for this period." if cover.ret is None else ""
        if cover.joint_with:
            joint = ", ".join(cover.joint_with)
            note = f"Workforce figures are the joint return's, with {joint}: split them by authority."
        records["census_la"].append(
            {
                **base,
                "derived": {
                    "reference_date": on,
                    "vacancies_fte": _sum(w.vacancies_fte for w in workforce),
                    "agency_fte": _sum(w.agency_fte for w in workforce),
                    "agency_headcount": len(workers),
                    "workforce_headcount": _sum(w.agency_headcount for w in workforce),
                    "note": note,
                },
            }
        )
        by_role = {w.role_id: w for w in workforce}
        for role in roles:
            line = by_role.get(role.pk)
            records["census_roles"].append(
                {
                    **base,
                    "derived": {
                        "reference_date": on,
                        "core_role": role.code,
                        "agency_headcount": sum(
                            1 for row in workers.values() if (core := _core(row)) is not None and core.pk == role.pk
                        ),
                        "agency_fte": line.agency_fte if line else None,
                        "vacancies_fte": line.vacancies_fte if line else None,
                    },
                }
            )
        for row in workers.values():
            core = _core(row)
            records["census_workers"].append(
                {
                    **base,
                    "assignment": row,
                    "derived": {"agency_worker": True, "core_role": core.code if core else None, "fte": None},
                }
            )
