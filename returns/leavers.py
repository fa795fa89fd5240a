"""The leavers register: how the cool-off is detected rather than declared (DESIGN.md section 3).

Each quarter a borough reports, in its return, the permanent children's social workers who left it
(``Leaver``: registration number, leaving date, core role, which of the unit's boroughs). The check of any
return of the region then finds, by registration number, every row whose agency assignment started within a
cool-off of a leaving, whatever the hiring borough wrote about the worker's previous employer:

- left **another** borough of the region: the longer of the London Pledge's cool-off
  (``ReportingPeriod.cool_off_months``, 6) and DfE's (``dfe_cool_off_months``, 3), as COOL-001 reads it;
- left the hiring borough **itself**: DfE's cool-off only, as COOL-003 reads it.

A leaving after the start, a leaving outside the window, another worker, or a leaver reported in another
region never matches. The windows are the hiring return's period's.

Who learns what: the hiring borough learns that the worker left a permanent post in the region and when, and
that it was its own borough when it was; never which other borough. The region sees both boroughs
(``selectors.leaver_matches``). ``RegisterMatch.left_borough_id`` is therefore never written into a finding.

Cost: one query per return check, whatever its size (the return's registration numbers are a subquery, so
there is no parameter list to chunk), and the matching runs in memory.

Retention: a leaver is kept for the longest cool-off any period sets plus ``LEAVERS_KEPT_AFTER_WINDOW_DAYS``
(see settings), then deleted by ``tasks.purge_expired_leavers``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Max

from .models import Assignment, Leaver, ReportingPeriod, Return
from .rules import add_months  # months forwards, or backwards when negative

DEFAULT_PLEDGE_MONTHS = ReportingPeriod._meta.get_field("cool_off_months").default
DEFAULT_DFE_MONTHS = ReportingPeriod._meta.get_field("dfe_cool_off_months").default


@dataclass(frozen=True)
class RegisterMatch:
    """A leaving that the row's start falls within the cool-off of."""

    leaving_date: date
    own_borough: bool  # they left the borough the row is with
    months: int  # the cool-off that applies: DfE's for the own borough, the longer one for another
    earliest: date  # the first day they could have started
    broken: str  # which cool-off(s) the start broke, in words
    left_borough_id: int  # for the region's eyes only: never in a finding's message


def windows(period: ReportingPeriod) -> tuple[int, int]:
    return period.cool_off_months, period.dfe_cool_off_months


def match(
    *, borough_id: int, start: date, leavings: Iterable[tuple[date, int]], pledge: int, dfe: int
) -> RegisterMatch | None:
    """The leaving (``(leaving date, borough id)``) whose cool-off the start ``start`` in ``borough_id`` breaks,
    or None. With several, the one whose cool-off ends last (it decides the earliest allowed start)."""
    found = None
    for leaving_date, left_borough_id in leavings:
        if leaving_date > start:
            continue  # left after the assignment began: not a cool-off
        own = left_borough_id == borough_id
        months = dfe if own else max(pledge, dfe)
        earliest = add_months(leaving_date, months)
        if start >= earliest:
            continue
        if found is not None and found.earliest >= earliest:
            continue
        if own:
            broken = f"the DfE's {dfe}-month cool-off"
        elif start >= add_months(leaving_date, dfe):
            broken = f"the London Pledge's {pledge}-month cool-off"
        elif pledge > dfe:
            broken = f"the DfE's {dfe}-month and the London Pledge's {pledge}-month cool-offs"
        else:
            broken = f"the DfE's {dfe}-month cool-off"
        found = RegisterMatch(leaving_date, own, months, earliest, broken, left_borough_id)
    return found


def numbers_of(ret: Return):
    """The return's registration numbers as a subquery: a list of thousands of numbers as parameters costs
    more to build and send than the query takes to run."""
    return Assignment.objects.filter(ret=ret).exclude(registration_number="").values("registration_number")


def leavings_by_number(
    region_id: int, numbers, *, earliest_start: date, latest_start: date, months: int
) -> dict[str, list]:
    """``registration number -> [(leaving date, borough id), ...]`` from the region's register, for the
    numbers given (a list or a subquery of ``registration_number`` values) and leavings whose cool-off of
    ``months`` could reach a start between the two dates. One query."""
    found: dict[str, list] = defaultdict(list)
    leavers = Leaver.objects.filter(
        registration_number__in=numbers,
        ret__period__region_id=region_id,
        leaving_date__gte=add_months(earliest_start, -months),
        leaving_date__lte=latest_start,
    ).values_list("registration_number", "leaving_date", "borough_id")
    for number, leaving_date, borough_id in leavers:
        found[number].append((leaving_date, borough_id))
    return found


def matches_for_return(ret: Return, rows: list[Assignment]) -> dict[int, RegisterMatch]:
    """Row id -> the register's match, for every row of ``ret`` (its period and region loaded) that started
    within a cool-off of a leaving reported anywhere in the region. One query."""
    dated = [r for r in rows if r.start_date and r.registration_number]
    if not dated:
        return {}
    period = ret.period
    pledge, dfe = windows(period)
    numbers = numbers_of(ret)
    leavings = leavings_by_number(
        period.region_id,
        numbers,
        earliest_start=min(r.start_date for r in dated),
        latest_start=max(r.start_date for r in dated),
        months=max(pledge, dfe),
    )
    found = {}
    for row in dated:
        if row.registration_number not in leavings:
            continue
        hit = match(
            borough_id=row.borough_id,
            start=row.start_date,
            leavings=leavings[row.registration_number],
            pledge=pledge,
            dfe=dfe,
        )
        if hit is not None:
            found[row.pk] = hit
    return found


# --- Keeping leavers only for the window ----------------------------------------------------------------


def longest_window_months() -> int:
    """The longest cool-off any period of any region sets, in months; the defaults when there is none."""
    longest = ReportingPeriod.objects.aggregate(pledge=Max("cool_off_months"), dfe=Max("dfe_cool_off_months"))
    return max(longest["pledge"] or DEFAULT_PLEDGE_MONTHS, longest["dfe"] or DEFAULT_DFE_MONTHS)


def kept_since(today: date) -> date:
    """The earliest leaving date the register keeps on ``today``: the longest cool-off configured anywhere
    before today, less ``LEAVERS_KEPT_AFTER_WINDOW_DAYS`` (settings say why)."""
    return add_months(today, -longest_window_months()) - timedelta(days=settings.LEAVERS_KEPT_AFTER_WINDOW_DAYS)
