"""For the compliance pack: submission on time, the breach and cool-off registers and borough scorecards. See the
package's docstring for the counting conventions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import (
    Min,
    OuterRef,
    Subquery,
)
from django.utils import timezone

from boroughs.models import Borough
from rates.models import EngagementType
from returns.models import QueryExplanation, ReportingPeriod, Return, StatutoryException, Transition
from returns.rules import MINIMUM_PQE_YEARS
from returns.selectors import completeness_for

from .compliance import _latest_findings, breaches_by_borough, flags_by_borough, reference_turnaround
from .scope import FLAGS, OVER, Scope, quarter_label, rows_with_caps
from .workforce import agency_share_by_unit

# --- Submission, registers and scorecards (the compliance pack) -----------------------------------------


@dataclass
class SubmissionLine:
    unit: str
    borough_ids: list[int]
    status: str
    first_submitted: datetime | None  # the first submission: a return sent back and sent again keeps it
    on_time: bool | None  # None: not submitted (or no record of when)


def submission_timeliness(period: ReportingPeriod) -> list[SubmissionLine]:
    """Each reporting unit of the period's region (``selectors.completeness_for``): its return's status and
    whether it was first submitted by the deadline (UK date). Four queries, whatever the number of units."""
    first = dict(
        Transition.objects.filter(ret__period=period, to_status=Return.Status.SUBMITTED)
        .values("ret_id")
        .annotate(at=Min("at"))
        .values_list("ret_id", "at")
    )
    lines = []
    for s in completeness_for(period, today=timezone.localdate()):
        submitted = (first.get(s.ret.pk) or s.ret.submitted_at) if s.ret else None
        on_time = None if submitted is None else timezone.localtime(submitted).date() <= period.deadline
        lines.append(
            SubmissionLine(s.unit.name, [b.pk for b in s.unit.boroughs.all()], s.status_label, submitted, on_time)
        )
    return lines


RULES = {
    "RATE-001": "Pay above the cap",
    "PQE-002": "Less than 3 years' post-qualifying experience",
}


@dataclass
class BreachEntry:
    """A row that breaks a rule of the Pledge, with who agreed to it, when and why (blank when no one did)."""

    quarter: str
    borough: str
    row: int
    registration_number: str
    role: str
    agency: str  # as known to the portal, else as the borough reported it
    engagement_type: str
    start_date: date | None
    rule_code: str  # RATE-001 (pay above the cap) or PQE-002 (a locum under 3 years' PQE, agreed)
    hourly_pay_rate: Decimal | None = None
    cap: Decimal | None = None
    pqe_years: Decimal | None = None
    signed_off_on: date | None = None
    signed_off_by: str = ""  # the Director of Children's Services (or the approver), by name
    signed_off_by_title: str = ""  # their job title
    chief_executive: str = ""
    reason: str = ""

    @property
    def rule(self) -> str:
        return f"{self.rule_code} {RULES.get(self.rule_code, '')}".strip()

    @property
    def excess(self) -> Decimal | None:
        if self.hourly_pay_rate is None or self.cap is None:
            return None
        return self.hourly_pay_rate - self.cap

    @property
    def excess_percent(self) -> Decimal | None:
        """The excess as a percentage of the cap, one decimal place."""
        if self.excess is None or not self.cap:
            return None
        return (self.excess / self.cap * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def breach(self) -> str:
        """What was broken, in words: £4.60 over the £36.40 cap, or 1.5 years' PQE of the 3 required."""
        if self.rule_code == "PQE-002":
            return f"{self.pqe_years} years' PQE; locums need {MINIMUM_PQE_YEARS}" if self.pqe_years is not None else ""
        if self.excess is None:
            return ""
        return f"£{self.excess} ({self.excess_percent}%) over the £{self.cap} cap"


def _name(full_name: str | None, email: str | None) -> str:
    return full_name or email or ""


def breach_register(scope: Scope) -> list[BreachEntry]:
    """Every row over the cap in scope (RATE-001) with its sign-off if it has one, and every locum under 3
    years' PQE whom the DCS and Chief Executive agreed to engage (PQE-002, from the latest check of each
    return, with the agreement recorded for the worker and start date), by borough, quarter and row. Three
    queries."""
    engagement = dict(EngagementType.choices)
    rows = (
        rows_with_caps(scope)
        .filter(OVER)
        .values(
            "ret__period__starts_on",
            "borough__name",
            "position",
            "registration_number",
            "role__name",
            "local_role__name",
            "agency__name",
            "agency_name",
            "engagement_type",
            "start_date",
            "hourly_pay_rate",
            "cap",
            "breach_sign_off__signed_on",
            "breach_sign_off__signed_by__full_name",
            "breach_sign_off__signed_by__email",
            "breach_sign_off__signed_by_title",
            "breach_sign_off__chief_executive",
            "breach_sign_off__reason",
        )
    )
    entries = [
        BreachEntry(
            quarter_label(r["ret__period__starts_on"]),
            r["borough__name"],
            r["position"],
            r["registration_number"],
            r["local_role__name"] or r["role__name"] or "",
            r["agency__name"] or r["agency_name"],
            engagement.get(r["engagement_type"], r["engagement_type"]),
            r["start_date"],
            "RATE-001",
            hourly_pay_rate=r["hourly_pay_rate"],
            cap=r["cap"],
            signed_off_on=r["breach_sign_off__signed_on"],
            signed_off_by=_name(r["breach_sign_off__signed_by__full_name"], r["breach_sign_off__signed_by__email"]),
            signed_off_by_title=r["breach_sign_off__signed_by_title"] or "",
            chief_executive=r["breach_sign_off__chief_executive"] or "",
            reason=r["breach_sign_off__reason"] or "",
        )
        for r in rows
    ]
    entries += _pqe_agreed(scope, engagement)
    return sorted(entries, key=lambda e: (e.borough, e.quarter, e.row, e.rule_code))


def _pqe_agreed(scope: Scope, engagement: dict) -> list[BreachEntry]:
    """PQE-002 findings with the statutory exception that explains each (matched as the rule matches it:
    borough, worker, start date and the figure agreed). Two queries."""
    found = list(
        _latest_findings(scope, ["PQE-002"]).values(
            "assignment__ret__period__starts_on",
            "assignment__borough_id",
            "assignment__borough__name",
            "assignment__position",
            "assignment__registration_number",
            "assignment__role__name",
            "assignment__local_role__name",
            "assignment__agency__name",
            "assignment__agency_name",
            "assignment__engagement_type",
            "assignment__start_date",
            "assignment__hourly_pay_rate",
            "assignment__pqe_years",
        )
    )
    agreements = {}
    if found:
        for agreed in StatutoryException.objects.filter(
            rule_code=StatutoryException.Rule.PQE,
            borough_id__in={f["assignment__borough_id"] for f in found},
            registration_number__in={f["assignment__registration_number"] for f in found},
        ).select_related("signed_by"):
            key = (agreed.borough_id, agreed.registration_number, agreed.assignment_start, agreed.agreed_value)
            agreements.setdefault(key, agreed)  # newest first
    entries = []
    for f in found:
        key = (
            f["assignment__borough_id"],
            f["assignment__registration_number"],
            f["assignment__start_date"],
            str(f["assignment__pqe_years"]),
        )
        agreed = agreements.get(key)
        entries.append(
            BreachEntry(
                quarter_label(f["assignment__ret__period__starts_on"]),
                f["assignment__borough__name"],
                f["assignment__position"],
                f["assignment__registration_number"],
                f["assignment__local_role__name"] or f["assignment__role__name"] or "",
                f["assignment__agency__name"] or f["assignment__agency_name"],
                engagement.get(f["assignment__engagement_type"], f["assignment__engagement_type"]),
                f["assignment__start_date"],
                "PQE-002",
                hourly_pay_rate=f["assignment__hourly_pay_rate"],
                pqe_years=f["assignment__pqe_years"],
                signed_off_on=agreed.signed_on if agreed else None,
                signed_off_by=agreed.signed_by.get_full_name() if agreed else "",
                signed_off_by_title=agreed.signed_by_title if agreed else "",
                chief_executive=agreed.chief_executive if agreed else "",
                reason=agreed.reason if agreed else "",
            )
        )
    return entries


@dataclass
class CoolOffEntry:
    quarter: str
    borough: str
    row: int | None
    registration_number: str
    agency: str
    start_date: date | None
    previous_employer: str
    left_previous_on: date | None
    rule_code: str
    explanation: str  # the borough's answer to the query; blank if it gave none


COOL_OFF_RULES = {
    "COOL-001": "Started within the Pledge's cool-off (another borough of the region) or the DfE's",
    "COOL-002": "Leaving date of the previous permanent post missing",
    "COOL-003": "Started within the DfE's cool-off after leaving this borough",
    "COOL-004": "Leavers register: started within the cool-off after leaving another borough of the region",
    "COOL-005": "Leavers register: started within the DfE's cool-off after leaving this borough",
}


def cool_off_register(scope: Scope) -> list[CoolOffEntry]:
    """Every cool-off finding (COOL-001 to COOL-005) of the latest validation of each accepted return
    in scope, by borough, quarter and row, with the borough's explanation of it (the submitter's answer to
    the query, matched by the finding's key), not the finding's own instruction. One query."""
    explanation = QueryExplanation.objects.filter(ret=OuterRef("ret"), key=OuterRef("key")).values("text")[:1]
    rows = (
        _latest_findings(scope, FLAGS["cool_off"])
        .annotate(explanation=Subquery(explanation))
        .values(
            "assignment__ret__period__starts_on",
            "assignment__borough__name",
            "assignment__position",
            "assignment__registration_number",
            "assignment__agency__name",
            "assignment__agency_name",
            "assignment__start_date",
            "assignment__previous_employer__name",
            "assignment__left_previous_on",
            "rule_code",
            "explanation",
        )
        .order_by(
            "assignment__borough__name", "assignment__ret__period__starts_on", "assignment__position", "rule_code"
        )
    )
    return [
        CoolOffEntry(
            quarter_label(r["assignment__ret__period__starts_on"]),
            r["assignment__borough__name"],
            r["assignment__position"],
            r["assignment__registration_number"],
            r["assignment__agency__name"] or r["assignment__agency_name"],
            r["assignment__start_date"],
            r["assignment__previous_employer__name"] or "",
            r["assignment__left_previous_on"],
            r["rule_code"],
            r["explanation"] or "",
        )
        for r in rows
    ]


@dataclass
class BoroughScorecard:
    borough_id: int
    borough: str
    unit: str
    status: str
    first_submitted: datetime | None
    on_time: bool | None
    rows: int = 0
    breaches: int = 0
    signed_off: int = 0
    cool_off: int = 0
    low_pqe: int = 0
    overlap: int = 0
    share: Decimal | None = None  # the reporting unit's agency share (percent)
    references_completed: int = 0
    median_turnaround: Decimal | None = None  # working days, as the borough answering

    @property
    def within_cap(self) -> int:
        return self.rows - self.breaches

    @property
    def without_sign_off(self) -> int:
        return self.breaches - self.signed_off


def borough_scorecards(period: ReportingPeriod) -> list[BoroughScorecard]:
    """One scorecard per borough of the period's region, from the same selectors as the dashboards: its
    unit's submission, rows within and over the cap, sign-offs, flags, agency share and the references it
    answered. About a dozen queries, whatever the number of boroughs."""
    scope = Scope(period.starts_on, period.starts_on, region=period.region)
    submissions = {b: s for s in submission_timeliness(period) for b in s.borough_ids}
    breaches = {b.borough_id: b for b in breaches_by_borough(scope)}
    flags = {f.borough_id: f for f in flags_by_borough(scope)}
    shares = {b: s.share for s in agency_share_by_unit(scope) for b in (s.borough_ids or [])}
    turnaround = reference_turnaround(scope, by="borough")
    cards = []
    for borough in Borough.objects.filter(region=period.region_id).order_by("name"):
        submission = submissions.get(borough.pk)
        card = BoroughScorecard(
            borough.pk,
            borough.name,
            submission.unit if submission else "No reporting unit",
            submission.status if submission else "Not started",
            submission.first_submitted if submission else None,
            submission.on_time if submission else None,
            share=shares.get(borough.pk),
        )
        if borough.pk in breaches:
            line = breaches[borough.pk]
            card.rows, card.breaches, card.signed_off = line.rows, line.breaches, line.signed_off
        if borough.pk in flags:
            line = flags[borough.pk]
            card.cool_off, card.low_pqe, card.overlap = line.cool_off, line.low_pqe, line.overlap
        card.references_completed, card.median_turnaround = turnaround.get(borough.pk, (0, None))
        cards.append(card)
    return cards
