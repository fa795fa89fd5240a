"""Running the rules (``returns.rules``) over a return and recording what they find.

``run_validation`` is called by the ``validate_return`` task. It reads everything the rules need in a
handful of queries whatever the size of the return (the rows once, the workforce section, the previous
return, what other boroughs report, set-based and chunked, and the region's leavers register), runs every
rule in memory, then replaces the run's findings in one transaction. Running it again for the same run (a
redelivered task after a worker crash) gives the same findings, never twice as many.

A finding's key names what it is about (rule, worker, start date, field) rather than the row's id, so an
explanation written for a query still answers it after the return is checked again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from boroughs.models import Region
from pledge_portal.core import bulk, collector, instances
from pledge_portal.core.identity import is_registration_number
from rates.selectors import RateCheck, RateCheckError, check_rate
from rates.table import rate_table

from . import leavers, selectors
from .leavers import RegisterMatch
from .models import Assignment, Finding, ReportingPeriod, Return, ValidationRun, WorkforceLine
from .rules import Issue, all_rules

Progress = Callable[[int, str], None]

INSERT_BATCH = 500
PROGRESS_EVERY = 500  # rows between progress reports: each one writes to the database


class _RateChecks:
    """``check_rate`` for many rows. A cap depends only on the role, the engagement type and the rate card
    in force on the start date, so each combination is asked once and the answer re-used, with the row's
    own date and rate, for every row that shares it: inside a transaction each ``check_rate`` call reads
    the rate table's fingerprint (``rates.table``), which for 5,000 rows adds up."""

    def __init__(self, region: Region):
        self.region = region
        self.table = rate_table()
        self.by_combination: dict[tuple, RateCheck | RateCheckError] = {}
        self.by_question: dict[tuple, RateCheck | RateCheckError] = {}  # RATE-001 and RATE-002 ask alike
        self.cards_on: dict[date, object] = {}

    def check(self, *, role: str, engagement_type: str, on: date, hourly_rate: Decimal) -> RateCheck:
        question = (role, engagement_type, on, hourly_rate)
        answer = self.by_question.get(question)
        if answer is None:
            answer = self.by_question[question] = self._answer(*question)
        if isinstance(answer, RateCheckError):
            raise answer
        return answer

    def _answer(self, role: str, engagement_type: str, on: date, hourly_rate: Decimal) -> RateCheck | RateCheckError:
        if on not in self.cards_on:
            self.cards_on[on] = self.table.card_on(self.region.pk, on)
        entry = self.cards_on[on]
        combination = (role, engagement_type, entry.card.pk if entry else on)
        answer = self.by_combination.get(combination)
        if answer is None:
            try:
                answer = check_rate(
                    role=role, engagement_type=engagement_type, on=on, hourly_rate=hourly_rate, region=self.region
                )
            except RateCheckError as exc:
                answer = exc
            self.by_combination[combination] = answer
        if isinstance(answer, RateCheckError):
            return answer
        a = answer  # the same answer for this row's date and rate (``dataclasses.replace``, without its introspection)
        return RateCheck(
            a.role, a.role_name, a.core_role, a.engagement_type, on, hourly_rate, a.cap, a.rate_card, a.cap_basis
        )


@dataclass
class ReturnContext:
    """Everything the rules read about one return, loaded once."""

    ret: Return
    rows: list[Assignment]
    lines: list[WorkforceLine]
    previous: Return | None = None  # the previous quarter's return, unless still a draft
    previous_lines: list[WorkforceLine] = field(default_factory=list)
    # row id -> the other rows of this return with the same worker and overlapping dates
    overlapping_rows: dict[int, list[Assignment]] = field(default_factory=dict)
    # row id -> (first, last) day of this row that another borough's return also covers; last None: open
    reported_elsewhere: dict[int, tuple[date, date | None]] = field(default_factory=dict)
    rates: _RateChecks | None = None
    # (borough id, registration number, start, rule code) -> figures the DCS and Chief Executive agreed
    agreed: dict[tuple, set[str]] = field(default_factory=dict)
    # row id -> the leavers register's match (``returns.leavers``): a leaving whose cool-off the start breaks
    register_matches: dict[int, RegisterMatch] = field(default_factory=dict)
    agency_register: object = None  # agencies.names.Register, read when a row names an unmatched agency
    _closest: dict[str, object] = field(default_factory=dict)

    def closest_agency(self, name: str):
        """The registered agency nearest an unmatched name (read once per return, once per distinct name)."""
        if self.agency_register is None:
            from agencies.names import Register

            self.agency_register = Register.load()
        if name not in self._closest:
            self._closest[name] = self.agency_register.closest(name)
        return self._closest[name]

    def agreed_to(self, row: Assignment, code: str, value) -> bool:
        """Whether a statutory exception covers this row's ``value`` for the rule ``code``."""
        key = (row.borough_id, row.registration_number, row.start_date, code)
        return str(value) in self.agreed.get(key, ())

    @property
    def period(self) -> ReportingPeriod:
        return self.ret.period

    @property
    def region(self) -> Region:
        return self.ret.period.region

    def check_rate(self, *, role: str, engagement_type: str, on: date, hourly_rate: Decimal) -> RateCheck:
        if self.rates is None:
            self.rates = _RateChecks(self.region)
        return self.rates.check(role=role, engagement_type=engagement_type, on=on, hourly_rate=hourly_rate)

    @staticmethod
    def agency_headcount(lines: list[WorkforceLine]) -> int | None:
        figures = [line.agency_headcount for line in lines if line.agency_headcount is not None]
        return sum(figures) if figures else None


def load_context(ret: Return) -> ReturnContext:
    """Read what the rules need. ``ret`` must come with its period and region."""
    rows = list(ret.assignments.order_by("position"))
    for name in ("role", "local_role", "previous_employer", "breach_sign_off"):
        _attach(rows, name)
    ctx = ReturnContext(ret=ret, rows=rows, lines=list(ret.workforce.select_related("role")))
    previous = selectors.previous_return(ret)
    if previous is not None and previous.status != Return.Status.DRAFT:
        ctx.previous = previous
        ctx.previous_lines = list(previous.workforce.all())
    ctx.overlapping_rows = _overlapping_rows(rows)
    ctx.reported_elsewhere = _reported_elsewhere(ret, rows)
    ctx.agreed = _agreements(ret, rows)
    ctx.register_matches = leavers.matches_for_return(ret, rows)
    return ctx


def _attach(rows: list[Assignment], name: str) -> None:
    """Give every row its ``name`` (a foreign key the rules read) from one query of the few distinct ones
    (a handful of roles, the region's boroughs), rather than a join building one object per row: for 5,000
    rows, 20,000 objects fewer to make."""
    field = Assignment._meta.get_field(name)
    ids = {getattr(row, field.attname) for row in rows} - {None}
    found = field.related_model._default_manager.in_bulk(ids) if ids else {}
    for row in rows:
        row._state.fields_cache[name] = found.get(getattr(row, field.attname))


def _agreements(ret: Return, rows: list[Assignment]) -> dict[tuple, set[str]]:
    """The statutory exceptions recorded for these rows' workers and start dates (one query)."""
    from .models import StatutoryException

    agreed: dict[tuple, set[str]] = defaultdict(set)
    if not any(r.registration_number for r in rows):
        return agreed
    for e in StatutoryException.objects.filter(registration_number__in=leavers.numbers_of(ret)).values_list(
        "borough_id", "registration_number", "assignment_start", "rule_code", "agreed_value"
    ):
        agreed[e[:4]].add(e[4])
    return agreed


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def _overlapping_rows(rows: list[Assignment]) -> dict[int, list[Assignment]]:
    by_worker: dict[str, list[Assignment]] = defaultdict(list)
    for row in rows:
        if row.registration_number and row.start_date:
            by_worker[row.registration_number].append(row)
    found: dict[int, list[Assignment]] = {}
    for same in by_worker.values():
        for row in same:
            others = [
                o for o in same if o.pk != row.pk and _overlaps(row.start_date, row.end_date, o.start_date, o.end_date)
            ]
            if others:
                found[row.pk] = others
    return found


def _reported_elsewhere(ret: Return, rows: list[Assignment]) -> dict[int, tuple[date, date | None]]:
    """For each row, the part of its dates that another reporting unit of the region also reports the same
    worker for, in a return of any status and period.

    Two queries: other units' rows for the return's numbers (a subquery), and each unit's latest return.
    The same assignment appears in each quarter's return of the unit that reports it, so only its latest
    copy counts (an end date added later replaces the blank one before it); a copy left open in a return
    that the unit has since followed with another, without the row, ended with that return's quarter.
    """
    ours = [r for r in rows if r.start_date and is_registration_number(r.registration_number)]
    if not ours:
        return {}
    earliest = min(r.start_date for r in ours)
    unit_boroughs = list(ret.unit.boroughs.values_list("pk", flat=True))
    latest_copy: dict[tuple, tuple] = {}
    theirs = (
        Assignment.objects.filter(
            registration_number__in=leavers.numbers_of(ret),
            ret__period__region_id=ret.period.region_id,
            start_date__isnull=False,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=earliest))
        .exclude(ret__unit_id=ret.unit_id)
        .exclude(borough_id__in=unit_boroughs)
        .values_list(
            "registration_number",
            "start_date",
            "end_date",
            "ret__unit_id",
            "ret__period__starts_on",
            "ret__period__ends_on",
        )
    )
    for number, starts, ends, unit_id, period_starts, period_ends in theirs:
        key = (unit_id, number, starts)
        if key not in latest_copy or latest_copy[key][0] < period_starts:
            latest_copy[key] = (period_starts, period_ends, ends)
    if not latest_copy:
        return {}
    units = {unit_id for unit_id, _, _ in latest_copy}
    latest_return = dict(
        Return.objects.filter(unit_id__in=units)
        .values("unit_id")
        .annotate(latest=Max("period__starts_on"))
        .values_list("unit_id", "latest")
    )
    elsewhere: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for (unit_id, number, starts), (period_starts, period_ends, ends) in latest_copy.items():
        if ends is None and period_starts < latest_return[unit_id]:
            ends = period_ends
        elsewhere[number].append((starts, ends))
    found = {}
    for row in ours:
        spans = [
            (max(row.start_date, starts), _earlier(row.end_date, ends))
            for starts, ends in elsewhere.get(row.registration_number, ())
            if _overlaps(row.start_date, row.end_date, starts, ends)
        ]
        if spans:
            last = None if any(e is None for _, e in spans) else max(e for _, e in spans)
            found[row.pk] = (min(s for s, _ in spans), last)
    return found


def _earlier(a: date | None, b: date | None) -> date | None:
    if a is None or b is None:
        return a or b
    return min(a, b)


def finding_key(code: str, *, row: Assignment | None, issue: Issue) -> str:
    """What the finding is about, the same in every run: for a row, the worker (or the row number, when
    the registration number is missing) and the start date; for the return, the issue's subject."""
    if row is None:
        key = f"{code}:return:{issue.subject}:{issue.field}"
    else:
        who = row.registration_number or f"row-{row.position}"
        key = f"{code}:{who}:{row.start_date or ''}:{issue.field}"
    return key[:200]


def findings_for(ctx: ReturnContext, *, progress: Progress | None = None) -> list[Finding]:
    """Every rule's findings for the return (unsaved, without a run), one per key."""
    rules = all_rules()
    row_rules = [r for r in rules if r.per_row]
    found: dict[str, Finding] = {}

    def add(rule, issue: Issue, row: Assignment | None) -> None:
        key = finding_key(rule.code, row=row, issue=issue)
        if key not in found:
            found[key] = instances.unsaved(
                Finding,
                ret_id=ctx.ret.pk,
                rule_code=rule.code,
                severity=rule.severity,
                assignment_id=row.pk if row else None,
                position=row.position if row else None,
                field=issue.field[:40],
                message=issue.message[:500],
                key=key,
            )

    total = len(ctx.rows)
    # Most rules find nothing in most rows: the loop over them is the check's cost, so it is kept bare.
    for done, row in enumerate(ctx.rows, start=1):
        for rule in row_rules:
            for issue in rule.check(row, ctx):
                add(rule, issue, row)
        if progress and done % PROGRESS_EVERY == 0 and done < total:
            progress(10 + 75 * done // total, f"Checked {done} of {total} rows")
    for rule in rules:
        if not rule.per_row:
            for issue in rule.check(ctx):
                add(rule, issue, None)
    return list(found.values())


@collector.paused()
def run_validation(validation_run: ValidationRun, *, progress: Progress | None = None) -> None:
    """Check the return as it is now and replace ``validation_run``'s findings with what the rules find.

    The return is marked as validated at the run's revision only if it is still at that revision: a
    change made while the check ran leaves it needing another check."""
    ret = Return.objects.select_related("period__region", "unit").get(pk=validation_run.ret_id)
    if progress:
        progress(5, "Reading the return")
    ctx = load_context(ret)
    if progress:
        progress(10, f"Checking {len(ctx.rows)} row{'s' if len(ctx.rows) != 1 else ''}")
    findings = findings_for(ctx, progress=progress)
    errors = sum(1 for f in findings if f.severity == Finding.Severity.ERROR)
    queries = len(findings) - errors
    if progress:
        progress(90, "Saving the findings")
    with transaction.atomic():
        # Two deliveries of the same task take turns here, so they cannot interleave their inserts.
        ValidationRun.objects.select_for_update().filter(pk=validation_run.pk).first()
        Finding.objects.filter(run=validation_run).delete()
        for finding in findings:
            finding.run = validation_run
        bulk.insert(Finding, findings, batch_size=INSERT_BATCH)  # one COPY on PostgreSQL
        finished_at = timezone.now()
        ValidationRun.objects.filter(pk=validation_run.pk).update(
            errors=errors, queries=queries, finished_at=finished_at
        )
        Return.objects.filter(pk=ret.pk, revision=validation_run.revision).update(
            validated_revision=validation_run.revision
        )
        current = Return.objects.only("pk", "status").get(pk=ret.pk)
        if current.status == Return.Status.ACCEPTED:  # the dashboards' flags of it are this run's findings now
            from dashboards.aggregates import refresh

            refresh(current)
    validation_run.errors, validation_run.queries, validation_run.finished_at = errors, queries, finished_at
