"""For the compliance pack: submission on time, the breach and cool-off registers and borough scorecards. See the
package's docstring for the counting conventions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import (
    Min,
)
from django.utils import timezone

from boroughs.models import Borough
from rates.models import EngagementType
from returns.models import ReportingPeriod, Return, Transition
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


@dataclass
class BreachEntry:
    quarter: str
    borough: str
    row: int
    registration_number: str
    role: str
    agency: str  # as known to the portal, else as the borough reported it
    engagement_type: str
    start_date: date | None
    hourly_pay_rate: Decimal
    cap: Decimal
    signed_off_on: date | None
    signed_off_by: str  # the approver's job title

    @property
    def excess(self) -> Decimal:
        return self.hourly_pay_rate - self.cap


def breach_register(scope: Scope) -> list[BreachEntry]:
    """Every row over the cap in scope, by borough, quarter and row, with its sign-off if it has one.
    One query."""
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
            "breach_sign_off__signed_by_title",
        )
        .order_by("borough__name", "ret__period__starts_on", "position")
    )
    return [
        BreachEntry(
            quarter_label(r["ret__period__starts_on"]),
            r["borough__name"],
            r["position"],
            r["registration_number"],
            r["local_role__name"] or r["role__name"] or "",
            r["agency__name"] or r["agency_name"],
            engagement.get(r["engagement_type"], r["engagement_type"]),
            r["start_date"],
            r["hourly_pay_rate"],
            r["cap"],
            r["breach_sign_off__signed_on"],
            r["breach_sign_off__signed_by_title"] or "",
        )
        for r in rows
    ]


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
    finding: str


def cool_off_register(scope: Scope) -> list[CoolOffEntry]:
    """Every cool-off finding (COOL-001, COOL-002) of the latest validation of each accepted return in
    scope, by borough, quarter and row. One query."""
    rows = (
        _latest_findings(scope, FLAGS["cool_off"])
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
            "message",
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
            r["message"],
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
