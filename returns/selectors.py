"""Reading returns. Every page, API endpoint, export and task reads through these, already scoped."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, QuerySet
from django.urls import reverse

from pledge_portal import access
from pledge_portal.core.todo import SHOWN, ToDo

from .models import (
    Assignment,
    Finding,
    Leaver,
    QueryExplanation,
    ReportingPeriod,
    ReportingUnit,
    Return,
    ValidationRun,
)


def units_visible_to(user) -> QuerySet[ReportingUnit]:
    return access.visible(user, "unit.read", ReportingUnit.objects.all())


def returns_for(user, action: str) -> QuerySet[Return]:
    """Returns on which ``user`` may take ``action`` (``return.read``, ``return.edit``, ``return.sign_off``...)."""
    return access.visible(user, action, Return.objects.select_related("unit", "period", "period__region"))


def returns_visible_to(user) -> QuerySet[Return]:
    """A borough's (or its MSP's) users see their unit's returns; regional roles see their region's."""
    return returns_for(user, "return.read")


def returns_made_by(user) -> QuerySet[Return]:
    """Returns the user may edit and submit: their own unit's, as a borough user or its MSP."""
    return returns_for(user, "return.edit")


def units_made_by(user) -> QuerySet[ReportingUnit]:
    """Units whose returns the user may start: their own borough's, or those their MSP serves."""
    return access.visible(user, "unit.start_return", ReportingUnit.objects.all())


def periods_visible_to(user) -> QuerySet[ReportingPeriod]:
    """Periods the user reads (their region's, as a regional role) or reports in (their boroughs' region's)."""
    qs = ReportingPeriod.objects.select_related("region")
    return access.visible(user, "period.read", qs) | access.visible(user, "period.report", qs)


def periods_read_by(user) -> QuerySet[ReportingPeriod]:
    """Periods the user follows as a regional role: their region's (every region's, for platform admins)."""
    return access.visible(user, "period.read", ReportingPeriod.objects.select_related("region"))


def periods_for(user, action: str) -> QuerySet[ReportingPeriod]:
    """Periods on which ``user`` may take ``action`` (``period.read``, ``period.lock``, ``pack.build``...)."""
    return access.visible(user, action, ReportingPeriod.objects.select_related("region"))


def assignments_visible_to(user) -> QuerySet[Assignment]:
    """Rows the user may read: their unit's, their agency's (across boroughs), or their region's."""
    return access.visible(
        user, "assignment.read", Assignment.objects.select_related("ret__period", "borough", "role", "agency")
    )


def previous_return(ret: Return) -> Return | None:
    """The unit's return for the latest earlier period, if it made one."""
    return (
        Return.objects.filter(
            unit=ret.unit, period__region=ret.period.region, period__starts_on__lt=ret.period.starts_on
        )
        .select_related("period")
        .order_by("-period__starts_on")
        .first()
    )


def latest_run(ret: Return) -> ValidationRun | None:
    return ret.validation_runs.select_related("task_run").order_by("-created_at", "-pk").first()


def latest_finished_run(ret: Return) -> ValidationRun | None:
    """The latest check that finished: the one whose findings stand while a newer one runs."""
    return ret.validation_runs.filter(finished_at__isnull=False).order_by("-created_at", "-pk").first()


def findings_with_explanations(run: ValidationRun) -> list[Finding]:
    """The run's findings, each with ``explanation`` (the text, or "") for queries."""
    explanations = dict(QueryExplanation.objects.filter(ret_id=run.ret_id).values_list("key", "text"))
    findings = list(run.findings.all())
    for finding in findings:
        finding.explanation = explanations.get(finding.key, "")
    return findings


@dataclass
class UnitStatus:
    unit: ReportingUnit
    ret: Return | None
    late: bool
    expected: bool = True  # a unit with no Pledge signatory (City of London) may report, but need not

    @property
    def status_label(self) -> str:
        if self.ret:
            return self.ret.get_status_display()
        return "Not started" if self.expected else "Not started (optional: not a Pledge signatory)"


def completeness_for(period: ReportingPeriod, *, today: date) -> list[UnitStatus]:
    """Every reporting unit of the period's region with its return (or none), whether it is expected to report
    (one of its boroughs signed the Pledge) and whether it is late: expected, and not submitted by the
    deadline. Two queries, whatever the number of units."""
    returns = {r.unit_id: r for r in Return.objects.filter(period=period).select_related("submitted_by")}
    statuses = []
    for unit in ReportingUnit.objects.filter(region=period.region).prefetch_related("boroughs"):
        ret = returns.get(unit.pk)
        waiting = ret is None or ret.status in Return.EDITABLE
        expected = any(b.pledge_signatory for b in unit.boroughs.all())
        statuses.append(
            UnitStatus(unit=unit, ret=ret, late=expected and waiting and today > period.deadline, expected=expected)
        )
    return statuses


DEADLINE_NEAR_DAYS = 14  # a return not yet submitted shows on the to-do list this long before its deadline


def todo_for(user, *, today: date) -> list[ToDo]:
    """The returns work waiting for ``user``: returns to sign off and breaches of the cap to sign off
    (approvers), returns sent back and deadlines near (a unit's lead and its MSP), returns to accept and
    overdue units (analysts). At most eight queries, whatever the data."""
    items: list[ToDo] = []

    def link(ret: Return) -> str:
        return reverse("returns:detail", args=[ret.pk])

    if access.can(user, "return.sign_off"):
        for ret in returns_for(user, "return.sign_off").filter(status=Return.Status.SUBMITTED)[:SHOWN]:
            items.append(ToDo(f"Sign off {ret.unit}'s return for {ret.period.label}", link(ret), ret.period.deadline))
    if access.can(user, "breach.sign_off"):
        waiting = (
            Finding.objects.filter(
                ret__in=returns_for(user, "breach.sign_off").filter(
                    status__in=[*Return.EDITABLE, Return.Status.SUBMITTED]
                ),
                rule_code="RATE-001",
                run__revision=F("ret__validated_revision"),
            )
            .values("ret", "ret__unit__name")
            .annotate(n=Count("pk"))
            .order_by("ret")[:SHOWN]
        )
        for line in waiting:
            items.append(
                ToDo(
                    f"Sign off {line['n']} breach{'es' if line['n'] != 1 else ''} of the cap in "
                    f"{line['ret__unit__name']}'s return",
                    reverse("returns:detail", args=[line["ret"]]),
                )
            )
    if access.can(user, "return.submit"):
        for ret in returns_for(user, "return.submit").filter(status=Return.Status.RETURNED)[:SHOWN]:
            items.append(ToDo(f"Change {ret.unit}'s return for {ret.period.label}: it was sent back", link(ret)))
    if access.can(user, "unit.start_return"):
        items += _deadlines_near(user, today=today)
    if access.can(user, "return.review"):
        for ret in returns_for(user, "return.review").filter(status=Return.Status.SIGNED_OFF)[:SHOWN]:
            items.append(ToDo(f"Accept or send back {ret.unit}'s return for {ret.period.label}", link(ret)))
        for period in periods_for(user, "period.lock").filter(deadline__lt=today, locks_on__gte=today, locked=False)[
            :2
        ]:
            late = sum(1 for s in completeness_for(period, today=today) if s.late)
            if late:
                items.append(
                    ToDo(
                        f"{late} unit{'s have' if late != 1 else ' has'} not submitted for {period.label}",
                        reverse("returns:completeness", args=[period.pk]),
                        period.deadline,
                        overdue=True,
                    )
                )
    return items


def _deadlines_near(user, *, today: date) -> list[ToDo]:
    """Units the user reports for whose return for an open period is not yet submitted, near or past its deadline."""
    periods = list(
        periods_for(user, "period.report").filter(
            opens_on__lte=today, deadline__lte=today + timedelta(days=DEADLINE_NEAR_DAYS), locks_on__gte=today
        )
    )
    if not periods:
        return []
    units = list(units_made_by(user).filter(region__in={p.region_id for p in periods}))
    done = set(
        Return.objects.filter(period__in=periods, unit__in=units)
        .exclude(status__in=Return.EDITABLE)
        .values_list("unit_id", "period_id")
    )
    items = []
    for period in periods:
        for unit in units:
            if unit.region_id == period.region_id and (unit.pk, period.pk) not in done:
                items.append(
                    ToDo(
                        f"Submit {unit}'s return for {period.label}",
                        reverse("returns:list"),
                        period.deadline,
                        overdue=period.deadline < today,
                    )
                )
    return items[:SHOWN]


@dataclass(frozen=True)
class PlacementFlag:
    borough: str
    period: str
    position: int
    registration_number: str
    rule_code: str
    rule_title: str
    severity: str


def placement_flags(user, *, limit: int = 500) -> tuple[list[PlacementFlag], int]:
    """What the checks flagged on the user's agency's placements, in returns their boroughs have submitted
    (drafts are the boroughs' work in progress): the borough, the quarter and the rule, never the finding's
    words, which may name other boroughs. At most ``limit`` lines, and how many there are in all."""
    from .rules import all_rules

    titles = {r.code: r.title for r in all_rules()}
    rows = access.visible(user, "placement.read_flags", Assignment.objects.all())
    findings = (
        Finding.objects.filter(
            assignment__in=rows,
            run__revision=F("ret__validated_revision"),
            run__finished_at__isnull=False,
        )
        .exclude(ret__status__in=Return.EDITABLE)
        .select_related("assignment__borough", "ret__period")
        .order_by("-ret__period__starts_on", "assignment__borough__name", "assignment__position", "rule_code")
    )
    total = findings.count()
    flags = [
        PlacementFlag(
            borough=f.assignment.borough.name,
            period=f.ret.period.label,
            position=f.assignment.position,
            registration_number=f.assignment.registration_number,
            rule_code=f.rule_code,
            rule_title=titles.get(f.rule_code, f.rule_code),
            severity=f.get_severity_display(),
        )
        for f in findings[:limit]
    ]
    return flags, total


def agency_names(limit: int = 2000) -> list[str]:
    """Names on the agency register, for the row form's picker (public register data; bounded)."""
    from agencies.models import Agency

    return list(Agency.objects.order_by("name").values_list("name", flat=True)[:limit])


def unmatched_rows_like(user, *, names_read: int = 5000) -> int:
    """Rows in boroughs' submitted returns whose agency name matched no registered agency but is nearest the
    user's own agency's: placements the agency may be missing from its figures. A count, never the rows (they
    are not the agency's until the borough corrects the name)."""
    from difflib import SequenceMatcher

    from agencies.names import NEAR, Register, match_key

    own = set(access.organisations_for(user, "placement.read_flags"))
    if not own:
        return 0
    unmatched = (
        Assignment.objects.filter(agency__isnull=True)
        .exclude(agency_name="")
        .exclude(ret__status__in=Return.EDITABLE)
        .values("agency_name")
        .annotate(n=Count("pk"))
        .order_by("-n")[:names_read]
    )
    register = Register.load()
    own_keys = [key for key, agency in register.by_key.items() if agency.organisation_id in own]
    total = 0
    for line in unmatched:
        # Cheap first: only a name near one of the user's own agencies is compared with the whole register,
        # so the cost is the number of names, not names × agencies.
        key = match_key(line["agency_name"])
        if not any(SequenceMatcher(None, key, mine).ratio() >= NEAR for mine in own_keys):
            continue
        closest = register.closest(line["agency_name"])
        if closest is not None and closest.organisation_id in own:
            total += line["n"]
    return total


@dataclass(frozen=True)
class CoolOffAnswer:
    known: bool  # whether the portal knows of the worker leaving a permanent post in the region
    earliest: date | None = None  # the first day they may start an agency assignment in the borough
    months: int = 0
    rule: str = ""  # whose cool-off decides: "the London Pledge's" or "the DfE's"

    @property
    def clear(self) -> bool:
        return self.earliest is None


def cool_off_answer(*, registration_number: str, borough, start: date) -> CoolOffAnswer:
    """Whether a worker may start an agency assignment in ``borough`` on ``start``, as far as the portal knows:
    from the latest leaving date of a permanent post in the region that any borough has reported for them.
    The borough they left is not told (DESIGN.md: the region sees it, an agency and a hiring borough do not).
    Two queries."""
    from .rules import add_months

    left = (
        Assignment.objects.filter(
            registration_number=registration_number,
            left_previous_on__isnull=False,
            previous_employer__region_id=borough.region_id,
        )
        .order_by("-left_previous_on")
        .values_list("previous_employer_id", "left_previous_on")
        .first()
    )
    if left is None:
        return CoolOffAnswer(known=False)
    period = ReportingPeriod.objects.filter(region_id=borough.region_id, starts_on__lte=start).first()
    pledge, dfe = (period.cool_off_months, period.dfe_cool_off_months) if period else (6, 3)
    employer, left_on = left
    months, rule = (dfe, "the DfE's") if employer == borough.pk else (max(pledge, dfe), "the London Pledge's")
    earliest = add_months(left_on, months)
    if start >= earliest:
        return CoolOffAnswer(known=True, months=months, rule=rule)
    return CoolOffAnswer(known=True, earliest=earliest, months=months, rule=rule)


# --- The leavers register -----------------------------------------------------------------------------


def leavers_of(ret: Return) -> QuerySet[Leaver]:
    """The leavers a return reports, for whoever may read the return (its own users, its MSP, its region)."""
    return ret.leavers.select_related("borough", "role")


@dataclass(frozen=True)
class LeaverMatch:
    """A row of a return that started within a cool-off of a leaving on the register, as the region sees it:
    both boroughs. Never shown to a borough (the hiring borough's finding does not say which it left)."""

    ret_id: int
    hiring_borough: str
    position: int
    registration_number: str
    start_date: date
    leaving_date: date
    left_borough: str
    own_borough: bool
    cool_off: str
    status: str


def leaver_matches(period: ReportingPeriod, *, limit: int = 500) -> tuple[list[LeaverMatch], int]:
    """Rows of the period's returns (any status) whose start the region's leavers register puts within a
    cool-off, with the borough the worker left: for the period's regional analysts (``leaver.read_matches``).
    Three queries whatever the size: the period's rows with a leaver's number, their leavers, borough names. At most
    ``limit`` lines, and how many there are in all."""
    from boroughs.models import Borough

    from .leavers import leavings_by_number, match, windows

    region_leavers = Leaver.objects.filter(ret__period__region_id=period.region_id).values("registration_number")
    matched = Assignment.objects.filter(
        ret__period=period, registration_number__in=region_leavers, start_date__isnull=False
    )
    rows = list(
        matched.values_list(
            "ret_id", "ret__status", "borough_id", "borough__name", "position", "registration_number", "start_date"
        )
    )
    if not rows:
        return [], 0
    pledge, dfe = windows(period)
    leavings = leavings_by_number(
        period.region_id,
        matched.values("registration_number"),  # a subquery: no list of parameters to outgrow
        earliest_start=min(r[6] for r in rows),
        latest_start=max(r[6] for r in rows),
        months=max(pledge, dfe),
    )
    names = dict(Borough.objects.filter(region_id=period.region_id).values_list("pk", "name"))
    statuses = dict(Return.Status.choices)
    found = []
    for ret_id, status, borough_id, borough_name, position, number, start in rows:
        hit = match(borough_id=borough_id, start=start, leavings=leavings.get(number, ()), pledge=pledge, dfe=dfe)
        if hit is not None:
            found.append(
                LeaverMatch(
                    ret_id,
                    borough_name,
                    position,
                    number,
                    start,
                    hit.leaving_date,
                    names.get(hit.left_borough_id, ""),
                    hit.own_borough,
                    hit.broken,
                    statuses.get(status, status),
                )
            )
    found.sort(key=lambda m: (m.hiring_borough, m.position))
    return found[:limit], len(found)
