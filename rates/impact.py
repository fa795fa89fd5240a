"""A draft rate card's impact before it is published: which live assignments would become breaches of the cap
under its caps, and which breaches would end, by borough, role and agency, with counts and £ a month.

What is compared, for each **live assignment** of the card's region: the rows of each reporting unit's latest
return (whatever its status: it is the newest the borough has told us) whose end date is blank or not yet
passed on the day of the computation, with a role, an engagement type and an hourly pay rate.

- The cap **now** is the cap ``check_rate`` gives the row (the published card in force on its start date), as
  the returns check (RATE-001) and the dashboards judge it; a row no published card covers has no cap now.
- The cap **under the draft** is the draft's cap for the row's role and engagement type, picked by the same
  rule (the local role's line if the draft has one, else the core role's; PAYE or inclusive), whatever the
  row's start date: the draft's caps as they would apply to these assignments when extended or renewed.
- A **new breach** is over the draft's cap and not over the cap now; an **ended breach** is over the cap now and
  not over the draft's. Breaches that continue under both are counted, not listed.
- **£ a month** is the hourly excess (over the draft's cap for new breaches, over the cap now for ended ones)
  times ``CONTRACTED_HOURS_PER_WEEK`` × 52 ÷ 12 hours.

Both caps are SQL expressions built from the one cap rule (``dashboards.figures.scope``), so the rows are
judged and grouped in the database: a fixed number of queries and bounded memory whatever the data size; the
groups kept are the ``GROUP_LIMIT`` largest of each table, with totals over all.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from pledge_portal import access
from pledge_portal.core.tables import Column, Table
from pledge_portal.jobs.models import TaskRun
from pledge_portal.jobs.services import start_task_run

from .models import EngagementType, RateCard

KIND = "rates.card_impact"
GROUP_LIMIT = 500
# A finished computation of the same draft this recent is shown again rather than started again (a double click).
REUSE_FINISHED_FOR = timedelta(minutes=1)
PENNY = Decimal("0.01")


class ImpactError(Exception):
    """A refused request; the message tells the user what to do."""


def hours_per_month() -> Decimal:
    """Contracted hours in a month: ``CONTRACTED_HOURS_PER_WEEK`` × 52 weeks ÷ 12 months."""
    return Decimal(settings.CONTRACTED_HOURS_PER_WEEK) * 52 / 12


def draft_fingerprint(card: RateCard) -> str:
    """Changes whenever the draft's dates or caps do: a result computed on another fingerprint is stale."""
    lines = sorted(
        (str(role), str(local), str(inclusive), str(paye))
        for role, local, inclusive, paye in card.lines.values_list(
            "role_id", "local_role_id", "inclusive_cap", "paye_cap"
        )
    )
    parts = [card.pk, card.region_id, card.effective_from, card.effective_to, lines]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _runs(card: RateCard):
    return TaskRun.objects.filter(kind=KIND, parameters__card=card.pk)


def latest_run(card: RateCard) -> TaskRun | None:
    """The latest computation asked for on this card (any draft of it), for the card's analysts' pages."""
    return _runs(card).order_by("-created_at").first()


def is_stale(card: RateCard, run: TaskRun | None) -> bool:
    return run is not None and run.parameters.get("fingerprint") != draft_fingerprint(card)


@transaction.atomic
def request_impact(*, card: RateCard, by) -> tuple[TaskRun, bool]:
    """Queue the computation of the draft's impact, unless one of the same draft is queued or running, or
    finished a moment ago: then that run, and True. For the card region's analysts (``rate_card.draft``)."""
    from .tasks import compute_card_impact

    card = RateCard.objects.select_for_update().select_related("region").get(pk=card.pk)
    acting = access.require(by, "rate_card.draft", card, error=ImpactError)
    if not card.is_draft:
        raise ImpactError(f"{card} is {card.get_status_display().lower()}: its impact is in the returns now.")
    fingerprint = draft_fingerprint(card)
    for run in _runs(card).filter(parameters__fingerprint=fingerprint).order_by("-created_at")[:5]:
        pending = not run.finished and not run.abandoned
        recent = run.status == TaskRun.Status.SUCCEEDED and run.finished_at > timezone.now() - REUSE_FINISHED_FOR
        if pending or recent:
            return run, True
    run = start_task_run(
        task=compute_card_impact,
        kind=KIND,
        action="rate_card.draft",
        label=f"Impact of {card} if published",
        by=by,
        organisation=acting,
        parameters={"card": card.pk, "fingerprint": fingerprint},
    )
    return run, False


# --- The computation (called by the task) --------------------------------------------------------------


def latest_returns(card: RateCard) -> list[int]:
    """The id of each reporting unit's latest return in the card's region. Picked here from one small query (a
    return's unit and quarter: some 130 a year in London) rather than by a correlated subquery, which every
    query of the computation would otherwise repeat: on ten years of national history that subquery alone took
    0.4 s a query."""
    from returns.models import Return

    latest: dict[int, tuple] = {}
    for pk, unit, starts_on in Return.objects.filter(period__region=card.region_id).values_list(
        "pk", "unit_id", "period__starts_on"
    ):
        if unit not in latest or starts_on > latest[unit][1]:
            latest[unit] = (pk, starts_on)
    return sorted(pk for pk, _ in latest.values())


def live_rows(card: RateCard, *, today: date, returns: list[int] | None = None):
    """The live assignments of the card's region (see the module's docstring), judged or not."""
    from returns.models import Assignment

    returns = latest_returns(card) if returns is None else returns
    return Assignment.objects.filter(ret_id__in=returns).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))


def compute_impact(*, card: RateCard, progress=None, today: date | None = None) -> dict:
    """The impact of the draft on today's live assignments, as the JSON the run keeps: about a dozen queries, the rows
    judged and grouped in the database."""
    from dashboards.figures.scope import cap_sql, card_cap_sql
    from returns.models import ReportingUnit, Return

    progress = progress or (lambda percent, message: None)
    today = today or timezone.localdate()
    card = RateCard.objects.select_related("region").get(pk=card.pk)
    lines = {
        (role, local): (inclusive, paye)
        for role, local, inclusive, paye in card.lines.values_list(
            "role_id", "local_role_id", "inclusive_cap", "paye_cap"
        )
    }
    returns = latest_returns(card)
    rows = live_rows(card, today=today, returns=returns)
    coverage = list(
        Return.objects.filter(pk__in=returns)
        .values("period__starts_on")
        .annotate(units=Count("unit", distinct=True))
        .order_by("-period__starts_on")
    )
    units = ReportingUnit.objects.filter(region=card.region_id).count()
    progress(10, "Judging live assignments against both caps")
    judged = rows.filter(
        Q(role__isnull=False) | Q(local_role__isnull=False),
        hourly_pay_rate__isnull=False,
        engagement_type__in=EngagementType.values,
    ).annotate(now_cap=cap_sql([card.region_id]), new_cap=card_cap_sql(lines))
    over_now = Q(now_cap__isnull=False, hourly_pay_rate__gt=F("now_cap"))
    within_now = Q(now_cap__isnull=True) | Q(hourly_pay_rate__lte=F("now_cap"))
    over_new = Q(new_cap__isnull=False, hourly_pay_rate__gt=F("new_cap"))
    within_new = Q(new_cap__isnull=False, hourly_pay_rate__lte=F("new_cap"))
    new, ended = over_new & within_now, over_now & within_new
    totals = judged.aggregate(
        judged=Count("pk"),
        new=Count("pk", filter=new),
        ended=Count("pk", filter=ended),
        still_over=Count("pk", filter=over_now & over_new),
        no_cap_now=Count("pk", filter=Q(now_cap__isnull=True)),
        no_draft_cap=Count("pk", filter=Q(new_cap__isnull=True)),
        new_excess=Sum(F("hourly_pay_rate") - F("new_cap"), filter=new),
        ended_excess=Sum(F("hourly_pay_rate") - F("now_cap"), filter=ended),
    )
    live = rows.count()
    progress(40, "Grouping new breaches")
    new_groups, new_group_count = _grouped(judged.filter(new), "new_cap")
    progress(70, "Grouping ended breaches")
    ended_groups, ended_group_count = _grouped(judged.filter(ended), "now_cap")
    hours = hours_per_month()
    return {
        "card": card.pk,
        "fingerprint": draft_fingerprint(card),
        "computed_on": today.isoformat(),
        "hours_per_month": str(hours.quantize(PENNY)),
        "coverage": [{"quarter_starts": c["period__starts_on"].isoformat(), "units": c["units"]} for c in coverage],
        "units": units,
        "live": live,
        "judged": totals["judged"],
        "new": totals["new"],
        "ended": totals["ended"],
        "still_over": totals["still_over"],
        "no_cap_now": totals["no_cap_now"],
        "no_draft_cap": totals["no_draft_cap"],
        "new_monthly": _monthly(totals["new_excess"], hours),
        "ended_monthly": _monthly(totals["ended_excess"], hours),
        "new_groups": [[*g[:4], _monthly(g[4], hours)] for g in new_groups],
        "new_group_count": new_group_count,
        "ended_groups": [[*g[:4], _monthly(g[4], hours)] for g in ended_groups],
        "ended_group_count": ended_group_count,
    }


def _monthly(hourly_excess, hours: Decimal) -> str:
    return str((Decimal(hourly_excess or 0) * hours).quantize(PENNY, rounding=ROUND_HALF_UP))


def _grouped(rows, cap: str) -> tuple[list[list], int]:
    """Rows by borough, role (a local role by its own name) and agency (the register's name, else as reported):
    the ``GROUP_LIMIT`` groups with the most £ an hour over ``cap``, and how many groups there are."""
    groups = (
        rows.annotate(
            role_name=Coalesce("local_role__name", "role__name"),
            agency_label=Coalesce("agency__name", "agency_name", Value("")),
        )
        .values("borough__name", "role_name", "agency_label")
        .annotate(rows=Count("pk"), excess=Sum(F("hourly_pay_rate") - F(cap)))
        .order_by("-excess", "borough__name", "role_name", "agency_label")
    )
    count = groups.count()
    kept = [
        [g["borough__name"], g["role_name"], g["agency_label"] or "Not given", g["rows"], g["excess"]]
        for g in groups[:GROUP_LIMIT]
    ]
    return kept, count


# --- As tables ------------------------------------------------------------------------------------------


def _table(title: str, groups: list[list], count: int, money_title: str, empty: str) -> Table:
    note = f"The {len(groups):,} groups with the most £ a month of {count:,}." if count > len(groups) else ""
    return Table(
        title=title,
        columns=[
            Column("Borough"),
            Column("Role"),
            Column("Agency"),
            Column("Assignments", "count"),
            Column(money_title, "money"),
        ],
        rows=[[*g[:4], Decimal(g[4])] for g in groups],
        note=note,
        empty=empty,
    )


def new_breaches_table(result: dict) -> Table:
    return _table(
        "Would become breaches",
        result["new_groups"],
        result["new_group_count"],
        "£ a month above the new cap",
        "No live assignment would become a breach.",
    )


def ended_breaches_table(result: dict) -> Table:
    return _table(
        "Breaches that would end",
        result["ended_groups"],
        result["ended_group_count"],
        "£ a month above the cap now",
        "No breach would end.",
    )


def totals_table(result: dict) -> Table:
    return Table(
        title="Live assignments",
        columns=[Column("What"), Column("Assignments", "count"), Column("£ a month", "money")],
        rows=[
            ["Live assignments in the latest returns", result["live"], None],
            ["With a role, engagement type and pay rate to judge", result["judged"], None],
            ["Would become breaches", result["new"], Decimal(result["new_monthly"])],
            ["Breaches that would end", result["ended"], Decimal(result["ended_monthly"])],
            ["Breaches under both", result["still_over"], None],
            ["No published cap now (not a breach now)", result["no_cap_now"], None],
            ["No cap in the draft for their role", result["no_draft_cap"], None],
        ],
    )
