"""Changing returns: periods, drafting (browser, spreadsheet and API all end here), validation requests,
explanations and the workflow. Every function is one use case, in a transaction, and audited.

Concurrent editing: every change to a return's content names the revision it was made on
(``expected_revision``); the revision goes up with each change, and a change made on an older revision is
refused with ``StaleRevision`` rather than silently overwriting someone else's work.
"""

import calendar
import hashlib
import json
from datetime import date, timedelta
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from boroughs.models import Borough, Region
from pledge_portal import access
from pledge_portal.audit import services as audit
from pledge_portal.core import bulk, collector
from pledge_portal.core.identity import RegistrationNumberError, parse_registration_number
from rates import services as rate_services
from rates.models import RoleCategory

from . import rules, selectors
from .models import (
    Assignment,
    Finding,
    Leaver,
    QueryExplanation,
    ReportingPeriod,
    ReportingUnit,
    Return,
    Snapshot,
    StatutoryException,
    Transition,
    ValidationRun,
    WorkbookUpload,
    WorkforceLine,
)


class ReturnError(Exception):
    """A refused action; the message tells the user what to do."""


class StaleRevision(ReturnError):
    def __init__(self, ret: Return):
        super().__init__(
            "Someone else changed this return while you were working on it, so your change was not saved. "
            "Open the return again to see their changes, then make yours."
        )
        self.ret = ret


# --- Reporting units and periods ---------------------------------------------------------------------


def ensure_reporting_units(*, region: Region | None = None) -> int:
    """Give every borough without a reporting unit one of its own. Joint units are set up in the admin by
    moving two boroughs into one unit. Safe to run again; returns how many units it created."""
    boroughs = Borough.objects.filter(reporting_units__isnull=True).select_related("region")
    if region is not None:
        boroughs = boroughs.filter(region=region)
    created = 0
    for borough in boroughs:
        unit, made = ReportingUnit.objects.get_or_create(name=borough.name, defaults={"region": borough.region})
        unit.boroughs.add(borough)
        created += made
    return created


def _quarter_end(starts_on: date) -> date:
    month = starts_on.month + 2
    year = starts_on.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


@transaction.atomic
def open_period(
    *,
    region: Region,
    by,
    starts_on: date,
    deadline: date,
    locks_on: date,
    cool_off_months: int = 6,
    dfe_cool_off_months: int = 3,
) -> ReportingPeriod:
    """Open a quarter for returns. It must start on the first day of a calendar quarter; returns open the
    day after it ends, and the deadline and lock date come after that."""
    acting = access.require(by, "period.open", region, error=ReturnError)
    if starts_on.day != 1 or starts_on.month not in (1, 4, 7, 10):
        raise ReturnError("A period starts on the first day of a quarter: 1 April, 1 July, 1 October or 1 January.")
    ends_on = _quarter_end(starts_on)
    opens_on = ends_on + timedelta(days=1)
    if deadline < opens_on:
        raise ReturnError(f"The deadline must be on or after {opens_on:%-d %B %Y}, when returns open.")
    if locks_on < deadline:
        raise ReturnError("The lock date must be on or after the deadline.")
    if ReportingPeriod.objects.filter(region=region, starts_on=starts_on).exists():
        raise ReturnError("That quarter is already open.")
    period = ReportingPeriod.objects.create(
        region=region,
        starts_on=starts_on,
        ends_on=ends_on,
        opens_on=opens_on,
        deadline=deadline,
        locks_on=locks_on,
        cool_off_months=cool_off_months,
        dfe_cool_off_months=dfe_cool_off_months,
        opened_by=by,
    )
    audit.record(by, "period.opened", period, organisation=acting)
    return period


@transaction.atomic
def extend_period(*, period: ReportingPeriod, by, deadline: date, locks_on: date) -> ReportingPeriod:
    period = ReportingPeriod.objects.select_for_update().select_related("region").get(pk=period.pk)
    acting = access.require(by, "period.extend", period, error=ReturnError)
    if deadline < period.deadline or locks_on < period.locks_on:
        raise ReturnError("An extension moves the dates later, not earlier.")
    if locks_on < deadline:
        raise ReturnError("The lock date must be on or after the deadline.")
    before = {"deadline": str(period.deadline), "locks_on": str(period.locks_on)}
    period.deadline, period.locks_on, period.locked = deadline, locks_on, False
    period.save(update_fields=["deadline", "locks_on", "locked"])
    audit.record(by, "period.extended", period, organisation=acting, detail={"before": before})
    return period


@transaction.atomic
def lock_period(*, period: ReportingPeriod, by) -> ReportingPeriod:
    period = ReportingPeriod.objects.select_for_update().select_related("region").get(pk=period.pk)
    acting = access.require(by, "period.lock", period, error=ReturnError)
    period.locked = True
    period.save(update_fields=["locked"])
    audit.record(by, "period.locked", period, organisation=acting)
    # The steering group's pack is asked for once the lock is final; a failure to ask must not undo the lock.
    transaction.on_commit(lambda: _request_pack_after_lock(period.pk, by), robust=True)
    return period


def _request_pack_after_lock(period_id: int, by) -> None:
    from packs.services import request_pack

    request_pack(period=ReportingPeriod.objects.get(pk=period_id), by=by)


# --- Starting and editing a return ------------------------------------------------------------------


def _organisation(by, ret: Return):
    """The organisation the user changes the return from: their borough's, or the MSP's serving it."""
    return access.acting_for(by, "return.edit", ret)


CARRIED_FIGURES = ("permanent_headcount", "permanent_fte", "agency_headcount", "agency_fte", "vacancies_fte")


@transaction.atomic
def start_return(*, unit: ReportingUnit, period: ReportingPeriod, by) -> Return:
    """The unit's return for the period, made if it does not exist yet: pre-filled with the rows still open
    at the end of its previous return and a workforce line per core role (its headcounts, FTE and vacancies
    carried forward from the previous return). Starting twice (a double click,
    two people at once) gives the same return."""
    acting = access.require(by, "unit.start_return", unit, error=ReturnError)
    if period.region_id != unit.region_id:
        raise ReturnError("That period belongs to another region.")
    existing = Return.objects.filter(unit=unit, period=period).first()
    if existing:
        return existing
    if period.is_locked(timezone.localdate()):
        raise ReturnError("This period is locked. Ask your regional analyst to reopen it.")
    if timezone.localdate() < period.opens_on:
        raise ReturnError(f"Returns for this period open on {period.opens_on:%-d %B %Y}.")
    try:
        with transaction.atomic():
            ret = Return.objects.create(unit=unit, period=period, created_by=by)
    except IntegrityError:  # made by someone else a moment ago
        return Return.objects.get(unit=unit, period=period)
    previous = selectors.previous_return(ret)
    # Stocks (headcounts, FTE, vacancies) carry forward as a starting point, as the open rows do; flows
    # (starters, leavers) belong to their own quarter and start blank.
    stocks = {}
    if previous is not None:
        stocks = {line.role_id: line for line in previous.workforce.all()}
    WorkforceLine.objects.bulk_create(
        WorkforceLine(
            ret=ret,
            role=role,
            **{name: getattr(stocks[role.pk], name) for name in CARRIED_FIGURES if role.pk in stocks},
        )
        for role in RoleCategory.objects.all()
    )
    carried = 0
    if previous is not None:
        still_open = [
            row for row in previous.assignments.all() if row.end_date is None or row.end_date > previous.period.ends_on
        ]
        Assignment.objects.bulk_create(
            Assignment(
                ret=ret,
                position=position,
                carried_from=row,
                **{name: getattr(row, name) for name in Assignment.INPUT_FIELDS},
                agency=row.agency,
            )
            for position, row in enumerate(still_open, start=1)
        )
        carried = len(still_open)
    audit.record(by, "return.started", ret, organisation=acting, detail={"rows_carried_forward": carried})
    return ret


def _lock_for_change(ret: Return, by, expected_revision: int) -> Return:
    """Check the user may change the return now, and claim the next revision (or refuse a stale edit)."""
    access.require(by, "return.edit", ret, error=ReturnError)
    current = Return.objects.select_for_update().select_related("period", "unit").get(pk=ret.pk)
    _refuse_change(current, expected_revision)
    Return.objects.filter(pk=current.pk).update(revision=F("revision") + 1, updated_at=timezone.now())
    current.refresh_from_db(fields=["revision", "updated_at"])
    return current


def _refuse_change(current: Return, expected_revision: int) -> None:
    """Refuse a change to a return that cannot change now, or that was made on an older revision."""
    if not current.is_editable:
        raise ReturnError(
            f"This return is {current.get_status_display().lower()}, so it cannot be changed. "
            + ("Ask your regional analyst to reopen it." if current.status == Return.Status.ACCEPTED else "")
        )
    if current.period.is_locked(timezone.localdate()) and current.status != Return.Status.RETURNED:
        raise ReturnError("This period is locked. Ask your regional analyst to reopen it.")
    if current.revision != expected_revision:
        raise StaleRevision(current)


def _check_borough(ret: Return, borough: Borough | None, boroughs: list[Borough] | None = None) -> Borough:
    """The row's borough, which must be one of the unit's (``boroughs``, read here unless given)."""
    boroughs = list(ret.unit.boroughs.all()) if boroughs is None else boroughs
    if borough is None:
        if len(boroughs) == 1:
            return boroughs[0]
        raise ReturnError(f"Choose which borough of {ret.unit} the assignment is with.")
    if borough not in boroughs:
        raise ReturnError(f"{borough} is not part of {ret.unit}.")
    return borough


def _agencies_named(names) -> dict[str, object]:
    """Agencies by the lower-cased name typed, for the names given, matched through the register's keys
    (case, punctuation and a trailing "Ltd" aside): one query, whatever the number of rows."""
    from agencies.names import Register

    wanted = {n.strip() for n in names if n and n.strip()}
    if not wanted:
        return {}
    register = Register.load()
    return {name.lower(): agency for name in wanted if (agency := register.find(name)) is not None}


def _resolve_agency(values: dict, agencies: dict[str, object] | None = None) -> dict:
    """Match the agency name the borough typed to a known agency (case aside), and tidy the registration
    number. ``agencies`` (from ``_agencies_named``) saves a query per row when loading many."""
    name = (values.get("agency_name") or "").strip()
    values["agency_name"] = name
    if values.get("agency") is not None:  # chosen on the register by its code (the API): kept as chosen
        values["agency_name"] = name or values["agency"].name
    else:
        if agencies is None:
            agencies = _agencies_named([name])
        values["agency"] = agencies.get(name.lower()) if name else None
    if values.get("registration_number"):
        values["registration_number"] = _registration_number(values["registration_number"])
    return values


def _registration_number(value: str) -> str:
    """The number as stored (``core.identity``). A value that is not one is kept as it came, for the check
    (ROW-002) to report: the forms, the spreadsheet and the API refuse one, but a draft may hold what is not
    right yet, and rows reach this service from other callers too."""
    try:
        return parse_registration_number(value).number
    except RegistrationNumberError:
        return value


@transaction.atomic
def save_assignment(
    *, ret: Return, by, expected_revision: int, values: dict, assignment: Assignment | None = None
) -> Assignment:
    """Add a row (``assignment`` None) or change one. ``values`` holds ``Assignment.INPUT_FIELDS``."""
    ret = _lock_for_change(ret, by, expected_revision)
    values = _resolve_agency({k: v for k, v in values.items() if k in Assignment.INPUT_FIELDS})
    values["borough"] = _check_borough(ret, values.get("borough"))
    if assignment is None:
        position = (ret.assignments.aggregate(m=Max("position"))["m"] or 0) + 1
        assignment = Assignment.objects.create(ret=ret, position=position, **values)
        action, changes = "return.row_added", _changes(None, values)
    else:
        assignment = ret.assignments.get(pk=assignment.pk)
        changes = _changes(assignment, values)
        for name, value in values.items():
            setattr(assignment, name, value)
        assignment.save()
        action = "return.row_changed"
    audit.record(
        by,
        action,
        ret,
        organisation=_organisation(by, ret),
        detail={"row": assignment.position, "changes": changes},
    )
    return assignment


def record_read(*, ret: Return, by, what: str, request=None) -> None:
    """A return holds personal data (registration numbers): every view and download of it is audited, with the
    organisation the reader reached it through."""
    organisation = access.acting_for(by, "return.read", ret)
    audit.record(by, f"return.{what}", ret, organisation=organisation, request=request)


@transaction.atomic
def agree_statutory_exception(
    *,
    ret: Return,
    by,
    assignment: Assignment,
    rule_code: str,
    reason: str,
    signed_by_title: str,
    chief_executive: str,
    signed_on: date | None = None,
) -> StatutoryException:
    """The approver records that the DCS and Chief Executive agreed to break a statutory rule for one row (a
    locum under 3 years' PQE). The breach is then reported (PQE-002, explained by the agreement) instead of
    blocking submission; the return needs checking again."""
    from .validation import finding_key

    ret = Return.objects.select_for_update().select_related("period", "unit").get(pk=ret.pk)
    acting = access.require(by, "breach.sign_off", ret, error=ReturnError)
    if ret.status not in (*Return.EDITABLE, Return.Status.SUBMITTED):
        raise ReturnError(f"This return is {ret.get_status_display().lower()}, so its rows cannot change.")
    row = ret.assignments.get(pk=assignment.pk)
    if rule_code != StatutoryException.Rule.PQE:
        raise ReturnError("That rule cannot be agreed away.")
    if not (row.registration_number and row.start_date and row.pqe_years is not None):
        raise ReturnError("Complete the row (registration number, start date and PQE) first.")
    if row.pqe_years >= rules.MINIMUM_PQE_YEARS:
        raise ReturnError(f"This worker has {row.pqe_years} years' PQE, which meets the rule: nothing to agree.")
    if not reason.strip():
        raise ReturnError("Give the reason they agreed.")
    exception, created = StatutoryException.objects.get_or_create(
        borough=row.borough,
        registration_number=row.registration_number,
        assignment_start=row.start_date,
        rule_code=rule_code,
        agreed_value=str(row.pqe_years),
        defaults={
            "reason": reason.strip()[:5000],
            "signed_by": by,
            "signed_by_title": signed_by_title.strip(),
            "chief_executive": chief_executive.strip(),
            "signed_on": signed_on or timezone.localdate(),
        },
    )
    if not created:
        raise ReturnError("This agreement is already recorded.")
    key = finding_key("PQE-002", row=row, issue=rules.Issue("", field="pqe_years"))
    QueryExplanation.objects.update_or_create(
        ret=ret,
        key=key,
        defaults={
            "text": f"Agreed by {by.get_full_name()} ({exception.signed_by_title}) and the Chief Executive "
            f"{exception.chief_executive} on {exception.signed_on:%-d %B %Y}: {exception.reason}"[:5000],
            "written_by": by,
        },
    )
    Return.objects.filter(pk=ret.pk).update(revision=F("revision") + 1)  # the check must run again
    audit.record(
        by,
        "return.statutory_exception_agreed",
        ret,
        organisation=acting,
        detail={"row": row.position, "rule": rule_code, "value": exception.agreed_value},
    )
    return exception


def _audit_value(value) -> str | None:
    """A field's value as the audit log keeps it: text, cut to a bounded length; objects by their name."""
    if value is None or value == "":
        return None
    return str(value)[:100]


def _changes(row: Assignment | None, values: dict) -> dict[str, list]:
    """Each field that changes, as [old, new] (old is None for a new row), for the audit log."""
    changes = {}
    for name, new in values.items():
        old = getattr(row, name) if row is not None else None
        if _audit_value(old) != _audit_value(new):
            changes[name] = [_audit_value(old), _audit_value(new)]
    return changes


@transaction.atomic
def end_assignment(*, ret: Return, by, expected_revision: int, assignment: Assignment, end_date: date) -> Assignment:
    ret = _lock_for_change(ret, by, expected_revision)
    assignment = ret.assignments.get(pk=assignment.pk)
    if assignment.start_date and end_date < assignment.start_date:
        raise ReturnError("The end date must be on or after the start date.")
    changes = _changes(assignment, {"end_date": end_date})
    assignment.end_date = end_date
    assignment.save(update_fields=["end_date"])
    audit.record(
        by,
        "return.row_ended",
        ret,
        organisation=_organisation(by, ret),
        detail={"row": assignment.position, "changes": changes},
    )
    return assignment


@transaction.atomic
def remove_assignment(*, ret: Return, by, expected_revision: int, assignment: Assignment) -> None:
    """Remove a row reported in error (an assignment that ended is ended, not removed). Rows after it keep
    their numbers, so findings and explanations still point at the right row."""
    ret = _lock_for_change(ret, by, expected_revision)
    assignment = ret.assignments.get(pk=assignment.pk)
    position = assignment.position
    removed = _changes(assignment, dict.fromkeys(Assignment.INPUT_FIELDS))
    assignment.delete()
    audit.record(
        by,
        "return.row_removed",
        ret,
        organisation=_organisation(by, ret),
        detail={"row": position, "changes": removed},
    )


@transaction.atomic
def save_workforce(
    *, ret: Return, by, expected_revision: int, lines: dict[int, dict], totals: dict | None = None
) -> Return:
    """Set the aggregate section: ``lines`` maps a role id to its figures (``WorkforceLine.FIGURES``);
    ``totals`` holds the monthly agency spend and project team count (those it names)."""
    ret = _lock_for_change(ret, by, expected_revision)
    _set_workforce(ret, by, lines=lines, totals=totals, source="page")
    return ret


TOTALS = ("agency_spend_month_1", "agency_spend_month_2", "agency_spend_month_3", "project_teams")


def _set_workforce(ret: Return, by, *, lines: dict[int, dict], totals: dict | None, source: str) -> None:
    """Write the figures of a return already locked for change: every figure of each role in ``lines``, and
    the totals ``totals`` names."""
    existing = {line.role_id: line for line in ret.workforce.all()}
    for role_id, figures in lines.items():
        line = existing.get(role_id) or WorkforceLine(ret=ret, role_id=role_id)
        for name in WorkforceLine.FIGURES:
            setattr(line, name, figures.get(name))
        line.save()
    fields = [name for name in TOTALS if name in (totals or {})]
    if fields:
        for name in fields:
            setattr(ret, name, totals[name])
        ret.save(update_fields=fields)
    audit.record(by, "return.workforce_changed", ret, organisation=_organisation(by, ret), detail={"source": source})


def _merge_key(values: dict) -> tuple:
    return (_registration_number(values.get("registration_number") or ""), values.get("start_date"))


# The most rows loaded at once, by any channel: the spreadsheet's row ceiling and the API's.
MAX_LOADED_ROWS = 20_000


class RepeatedAssignments(ReturnError):
    """Rows that are the same assignment (``repeated_assignments``): ``repeats`` lists, for each row after
    the first of its kind, ``(its index, the first one's index)`` in the rows given."""

    def __init__(self, rows: list[dict], repeats: list[tuple[int, int]]):
        index, first = repeats[0]
        more = f" ({len(repeats) - 1:,} more like it)" if len(repeats) > 1 else ""
        super().__init__(
            f"Row {index + 1} is the same assignment as row {first + 1}: {_describe(rows[index])}{more}. "
            "Give each assignment one row."
        )
        self.repeats = repeats


def _describe(values: dict) -> str:
    return f"{_registration_number(values['registration_number'])} starting {values['start_date']:%d/%m/%Y}"


def repeated_assignments(rows: list[dict]) -> list[tuple[int, int]]:
    """Rows for the same assignment (the same registration number and start date): for each row after
    the first of its kind, ``(its index, the first one's index)``. Two such rows would overwrite each other
    in a merge, so ``load_assignments`` refuses them whatever the channel; a channel may call this first
    to name them its own way (the spreadsheet by cell)."""
    first: dict[tuple, int] = {}
    repeats = []
    for index, values in enumerate(rows):
        if not (values.get("registration_number") and values.get("start_date")):
            continue
        index_of_first = first.setdefault(_merge_key(values), index)
        if index_of_first != index:
            repeats.append((index, index_of_first))
    return repeats


@transaction.atomic
def load_assignments(*, ret: Return, by, expected_revision: int, rows: list[dict], mode: str, source: str) -> dict:
    """Put many rows in at once (a spreadsheet or the API). ``mode`` "replace" makes the rows exactly
    ``rows``; "merge" updates the rows with the same registration number and start date and adds the
    rest. All or nothing: any refusal leaves the draft as it was. Returns counts of what changed.

    Refuses (``ReturnError``) more than ``MAX_LOADED_ROWS`` rows, and two rows for one assignment
    (``RepeatedAssignments``)."""
    _check_rows(rows, mode)
    ret = _lock_for_change(ret, by, expected_revision)
    return _load_rows(ret, by, rows=rows, mode=mode, source=source)


@transaction.atomic
def load_workbook(
    *,
    ret: Return,
    by,
    expected_revision: int,
    rows: list[dict],
    mode: str,
    workforce: dict[int, dict] | None = None,
    totals: dict | None = None,
    explanations: dict[str, str] | None = None,
    leavers: list[dict] | None = None,
) -> dict:
    """Load a whole workbook as one change: its rows (as ``load_assignments``), and the parts of the other
    sheets it has (``None`` for a sheet it has not): every figure of the roles in ``workforce``, the totals
    ``totals`` names, explanations of queries by key, and the return's leavers, replaced by ``leavers``.
    All or nothing. Returns the counts of rows, of explanations kept and not kept (for a query the return
    no longer has), and of leavers (``None`` when the workbook has no Leavers sheet)."""
    _check_rows(rows, mode)
    ret = _lock_for_change(ret, by, expected_revision)
    counts = _load_rows(ret, by, rows=rows, mode=mode, source="spreadsheet")
    if workforce is not None or totals is not None:
        _set_workforce(ret, by, lines=workforce or {}, totals=totals, source="spreadsheet")
    counts["explained"], counts["not_explained"] = 0, 0
    if explanations:
        counts["explained"], counts["not_explained"] = _explain_many(ret, by, explanations)
    counts["sections"] = workforce is not None or totals is not None
    counts["leavers"] = None
    if leavers is not None:
        counts["leavers"] = _set_leavers(ret, by, leavers=leavers, source="spreadsheet")["leavers"]
    return counts


def _check_rows(rows: list[dict], mode: str) -> None:
    if mode not in ("replace", "merge"):
        raise ReturnError("Choose whether to replace the rows or merge them.")
    if len(rows) > MAX_LOADED_ROWS:
        raise ReturnError(f"Send at most {MAX_LOADED_ROWS:,} rows at once; {len(rows):,} were sent.")
    if repeats := repeated_assignments(rows):
        raise RepeatedAssignments(rows, repeats)


@collector.paused()
def _load_rows(ret: Return, by, *, rows: list[dict], mode: str, source: str) -> dict:
    """The rows of a return already locked for change, replaced or merged (see ``load_assignments``)."""
    prepared = []
    agencies = _agencies_named(values.get("agency_name") or "" for values in rows)
    boroughs = list(ret.unit.boroughs.all())
    for values in rows:
        values = _resolve_agency(
            {k: v for k, v in values.items() if k in Assignment.INPUT_FIELDS or k == "agency"}, agencies
        )
        values["borough"] = _check_borough(ret, values.get("borough"), boroughs)
        prepared.append(values)
    counts = {"added": 0, "updated": 0, "removed": 0}
    if mode == "replace":
        # What refers to a row (a finding about it, a later return's row carried forward from it) is cleared
        # in one statement each, then the rows go in one DELETE: the ORM's delete would load every row first.
        Finding.objects.filter(assignment__ret=ret).update(assignment=None)
        Assignment.objects.filter(carried_from__ret=ret).exclude(ret=ret).update(carried_from=None)
        old = ret.assignments.all()
        counts["removed"] = old._raw_delete(old.db)
        existing = {}
        next_position = 1
    else:
        existing = {_merge_key(row.__dict__): row for row in ret.assignments.all() if row.registration_number}
        next_position = (ret.assignments.aggregate(m=Max("position"))["m"] or 0) + 1
    to_create, to_update = [], []
    for values in prepared:
        row = existing.get(_merge_key(values)) if existing else None
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)
            to_update.append(row)
            continue
        to_create.append({**values, "ret": ret, "position": next_position})
        next_position += 1
    _insert_assignments(to_create)
    if to_update:
        Assignment.objects.bulk_update(to_update, [*Assignment.INPUT_FIELDS, "agency"], batch_size=1000)
    counts["added"], counts["updated"] = len(to_create), len(to_update)
    audit.record(
        by,
        "return.rows_loaded",
        ret,
        organisation=_organisation(by, ret),
        detail={"mode": mode, "source": source, **counts},
    )
    return counts


def _insert_assignments(rows: list[dict]) -> None:
    """Insert new rows (``Assignment`` field names to values, ``ret`` and ``position`` included): one COPY on
    PostgreSQL (``core.bulk``), with no model object made for each."""
    bulk.insert(Assignment, rows)


# --- Workbook uploads ----------------------------------------------------------------------------------

# How long a stored workbook whose job never finished is kept (``delete_stale_uploads``): it quotes the
# workers' details, so no longer than a job could take.
UPLOAD_RETENTION = timedelta(days=1)


@transaction.atomic
def start_upload(*, ret: Return, by, uploaded_file, mode: str, expected_revision: int) -> WorkbookUpload:
    """Store an uploaded workbook and start the job that reads, loads and checks it
    (``tasks.load_upload``); nothing is read here. Refuses now (``ReturnError``) what needs no reading: a
    return that cannot change, a stale revision, an unknown mode, a file over the spreadsheet's size.

    The same file sent again for the same revision and mode while its job has yet to finish (a double
    click) is that job, not a second one."""
    from pledge_portal.core.excel import _too_large
    from pledge_portal.jobs.services import start_task_run

    from .spreadsheets import MAX_BYTES
    from .tasks import load_upload

    if mode not in WorkbookUpload.Mode.values:
        raise ReturnError("Choose whether to replace the rows or merge them.")
    acting = access.require(by, "return.edit", ret, error=ReturnError)
    current = Return.objects.select_for_update().select_related("period", "unit").get(pk=ret.pk)
    _refuse_change(current, expected_revision)
    if uploaded_file.size > MAX_BYTES:
        raise ReturnError(_too_large(MAX_BYTES))
    digest = hashlib.sha256()
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    pending = (
        WorkbookUpload.objects.filter(
            ret=current, created_by=by, digest=digest.hexdigest(), mode=mode, expected_revision=expected_revision
        )
        .select_related("task_run")
        .first()
    )
    if pending is not None and pending.task_run and not (pending.task_run.finished or pending.task_run.abandoned):
        return pending
    upload = WorkbookUpload(
        ret=current, mode=mode, expected_revision=expected_revision, digest=digest.hexdigest(), created_by=by
    )
    uploaded_file.seek(0)
    upload.file.save(f"return-{current.pk}.xlsx", uploaded_file, save=False)
    upload.task_run = start_task_run(
        task=load_upload,
        kind="returns.upload",
        action="return.edit",
        label=f"Loading a workbook into {current}",
        by=by,
        organisation=acting,
        parameters={"return": current.pk, "mode": mode},
    )
    upload.save()
    return upload


def discard_upload(upload: WorkbookUpload) -> None:
    """Delete a stored upload and its file (once read, or past ``UPLOAD_RETENTION``)."""
    if upload.file:
        upload.file.delete(save=False)
    upload.delete()


def delete_stale_uploads(*, now=None) -> int:
    """Delete uploads older than ``UPLOAD_RETENTION`` whose job is not going to read them. Returns how many."""
    now = now or timezone.now()
    deleted = 0
    for upload in WorkbookUpload.objects.filter(created_at__lt=now - UPLOAD_RETENTION).select_related("task_run"):
        run = upload.task_run
        if run is None or run.finished or run.abandoned:
            discard_upload(upload)
            deleted += 1
    return deleted


# --- The leavers register -------------------------------------------------------------------------------

# The most leavers one return reports, by any channel (a large borough loses a few dozen permanent social
# workers a quarter).
MAX_LEAVERS = 1_000


def leaving_dates_allowed(ret: Return) -> tuple[date, date]:
    """The leaving dates a return may report: up to its quarter's last day, and back as far as a cool-off
    that an assignment starting in the quarter could break (earlier leavings matter to no check)."""
    from .rules import add_months

    period = ret.period
    return add_months(period.starts_on, -max(period.cool_off_months, period.dfe_cool_off_months)), period.ends_on


def check_leaver(ret: Return, values: dict, boroughs: list[Borough]) -> dict:
    """One leaver's values, checked as every channel must (the page, the API, the workbook's Leavers sheet,
    which calls this to name the cell): a registration number in its stored spelling, a leaving date in
    range, a core role, one of the unit's boroughs (``boroughs``). Raises ``ReturnError``."""
    values = {k: v for k, v in values.items() if k in Leaver.INPUT_FIELDS}
    try:
        values["registration_number"] = parse_registration_number(values.get("registration_number") or "").number
    except RegistrationNumberError as exc:
        raise ReturnError(str(exc)) from exc
    number = values["registration_number"]
    first, last = leaving_dates_allowed(ret)
    leaving = values.get("leaving_date")
    if leaving is None:
        raise ReturnError(f"Enter the date {number} left their permanent post.")
    if not first <= leaving <= last:
        raise ReturnError(
            f"{number}: enter a leaving date between {first:%-d %B %Y} and {last:%-d %B %Y}, the last day of the "
            "quarter. An earlier leaving is outside every cool-off an assignment of this quarter could break, so "
            "it is not reported; a later one goes in next quarter's return."
        )
    if not isinstance(values.get("role"), RoleCategory):
        raise ReturnError(f"{number}: choose the core role they left.")
    if values.get("borough") is None and len(boroughs) > 1:
        raise ReturnError(f"{number}: choose which borough of {ret.unit} they left.")
    values["borough"] = _check_borough(ret, values.get("borough"), boroughs)
    return values


@transaction.atomic
def add_leaver(*, ret: Return, by, expected_revision: int, values: dict) -> Leaver:
    """Report one permanent leaver in the return (``values`` holds ``Leaver.INPUT_FIELDS``). Called by the page;
    the return's makers only."""
    ret = _lock_for_change(ret, by, expected_revision)
    values = check_leaver(ret, values, list(ret.unit.boroughs.all()))
    if ret.leavers.filter(registration_number=values["registration_number"]).exists():
        raise ReturnError(f"{values['registration_number']} is already on this return's leavers.")
    if ret.leavers.count() >= MAX_LEAVERS:
        raise ReturnError(f"A return reports at most {MAX_LEAVERS:,} leavers.")
    leaver = Leaver.objects.create(ret=ret, **values)
    audit.record(
        by,
        "return.leaver_added",
        ret,
        organisation=_organisation(by, ret),
        detail={"leaver": leaver.pk},  # not the number: the log outlives the register's short retention
    )
    return leaver


@transaction.atomic
def remove_leaver(*, ret: Return, by, expected_revision: int, leaver: Leaver) -> None:
    """Take a leaver off the return (reported in error). The return's makers only."""
    ret = _lock_for_change(ret, by, expected_revision)
    leaver = ret.leavers.get(pk=leaver.pk)
    removed = leaver.pk
    leaver.delete()
    audit.record(by, "return.leaver_removed", ret, organisation=_organisation(by, ret), detail={"leaver": removed})


@transaction.atomic
def replace_leavers(*, ret: Return, by, expected_revision: int, leavers: list[dict], source: str) -> dict:
    """Make the return's leavers exactly ``leavers`` (the API's PUT). All or nothing: any refusal
    (``ReturnError``, naming the leaver) leaves them as they were. At most ``MAX_LEAVERS``; one line per
    registration number. Returns counts of what changed. The return's makers only."""
    if len(leavers) > MAX_LEAVERS:
        raise ReturnError(f"Send at most {MAX_LEAVERS:,} leavers; {len(leavers):,} were sent.")
    ret = _lock_for_change(ret, by, expected_revision)
    return _set_leavers(ret, by, leavers=leavers, source=source)


def _set_leavers(ret: Return, by, *, leavers: list[dict], source: str) -> dict:
    """The leavers of a return already locked for change, replaced by ``leavers`` (see ``replace_leavers``)."""
    if len(leavers) > MAX_LEAVERS:
        raise ReturnError(f"A return reports at most {MAX_LEAVERS:,} leavers; {len(leavers):,} were given.")
    boroughs = list(ret.unit.boroughs.all())
    cleaned, seen = [], set()
    for values in leavers:
        values = check_leaver(ret, values, boroughs)
        if values["registration_number"] in seen:
            raise ReturnError(f"{values['registration_number']} is on two lines. Report each leaver once.")
        seen.add(values["registration_number"])
        cleaned.append(values)
    removed, _ = ret.leavers.all().delete()
    Leaver.objects.bulk_create(Leaver(ret=ret, **values) for values in cleaned)
    counts = {"leavers": len(cleaned), "removed": removed}
    audit.record(
        by, "return.leavers_replaced", ret, organisation=_organisation(by, ret), detail={"source": source, **counts}
    )
    return counts


def record_leaver_matches_read(*, period: ReportingPeriod, by, request=None) -> None:
    """The region's list of leavers register matches names workers and boroughs: every view is audited."""
    organisation = access.acting_for(by, "leaver.read_matches", period)
    audit.record(by, "period.leaver_matches_viewed", period, organisation=organisation, request=request)


# --- Validation and explanations --------------------------------------------------------------------


@transaction.atomic
def request_validation(*, ret: Return, by) -> ValidationRun:
    """Queue a check of the return as it is now. A run already queued or running for the same revision is
    reused, so a double click starts one job."""
    from pledge_portal.jobs.services import start_task_run

    from .tasks import validate_return

    acting = access.require(by, "return.check", ret, error=ReturnError)
    ret = Return.objects.select_for_update().get(pk=ret.pk)
    pending = (
        ret.validation_runs.filter(revision=ret.revision, finished_at__isnull=True).select_related("task_run").first()
    )
    if pending is not None and pending.task_run and not (pending.task_run.finished or pending.task_run.abandoned):
        return pending
    task_run = start_task_run(
        task=validate_return,
        kind="returns.validate",
        action="return.check",
        label=f"Checking {ret}",
        by=by,
        organisation=acting,
        parameters={"return": ret.pk, "revision": ret.revision},
    )
    return ValidationRun.objects.create(ret=ret, revision=ret.revision, task_run=task_run)


@transaction.atomic
def explain_query(*, ret: Return, by, key: str, text: str) -> QueryExplanation:
    """Write (or rewrite) the explanation of a query. It does not change the return's content, so it does
    not need the return to be checked again."""
    acting = access.require(by, "return.edit", ret, error=ReturnError)
    ret = Return.objects.select_for_update().get(pk=ret.pk)
    if not ret.is_editable:
        raise ReturnError(f"This return is {ret.get_status_display().lower()}, so explanations cannot change.")
    if not Finding.objects.filter(ret=ret, key=key, severity=Finding.Severity.QUERY).exists():
        raise ReturnError("That query is not on this return.")
    text = text.strip()
    if not text:
        raise ReturnError("Write an explanation of the query.")
    explanation, _ = QueryExplanation.objects.update_or_create(
        ret=ret, key=key, defaults={"text": text[:5000], "written_by": by}
    )
    audit.record(by, "return.query_explained", ret, organisation=acting, detail={"key": key})
    return explanation


def _explain_many(ret: Return, by, texts: dict[str, str]) -> tuple[int, int]:
    """Write the explanations of a return already locked for change, for the keys its latest check holds
    as queries; returns how many were written and how many were for keys that are not queries of it."""
    queries = set(
        Finding.objects.filter(
            ret=ret, key__in=list(texts), severity=Finding.Severity.QUERY, run=selectors.latest_finished_run(ret)
        ).values_list("key", flat=True)
    )
    existing = {e.key: e for e in QueryExplanation.objects.filter(ret=ret, key__in=queries)}
    changed = []
    for key in queries:
        text = texts[key].strip()[:5000]
        explanation = existing.get(key)
        if explanation is None:
            QueryExplanation.objects.create(ret=ret, key=key, text=text, written_by=by)
            changed.append(key)
        elif explanation.text != text:
            explanation.text, explanation.written_by = text, by
            explanation.save(update_fields=["text", "written_by", "written_at"])
            changed.append(key)
    if changed:
        audit.record(
            by,
            "return.query_explained",
            ret,
            organisation=_organisation(by, ret),
            detail={"keys": sorted(changed)[:50], "count": len(changed), "source": "spreadsheet"},
        )
    return len(queries), len(texts) - len(queries)


# --- Workflow ---------------------------------------------------------------------------------------


def _move(ret: Return, by, to: str, *, comment: str = "", organisation=None) -> None:
    """Record a step of the workflow, and tell whoever it now waits for once the step is committed."""
    from .tasks import tell_of_handoff  # tasks import services

    reopened = ret.status == Return.Status.ACCEPTED and to == Return.Status.RETURNED
    transition = Transition.objects.create(ret=ret, from_status=ret.status, to_status=to, by=by, comment=comment)
    audit.record(
        by, f"return.{to}", ret, organisation=organisation, detail={"from": ret.status, "comment": comment[:500]}
    )
    ret.status = to
    step = "reopened" if reopened else to
    # robust: an email that cannot be sent is logged; it never undoes the step.
    transaction.on_commit(lambda: tell_of_handoff.delay(transition.pk, step), robust=True)


def submission_problems(ret: Return) -> list[str]:
    """Why the return cannot be submitted yet (empty when it can)."""
    run = selectors.latest_run(ret)
    if run is None:
        return ["Check the return first."]
    if run.finished_at is None:
        return ["Wait for the check to finish."]
    if ret.validated_revision != ret.revision:
        return ["Check the return again: it has changed since it was last checked."]
    problems = []
    if run.errors:
        problems.append(f"Correct the {run.errors} error{'s' if run.errors != 1 else ''} found by the check.")
    explained = set(QueryExplanation.objects.filter(ret=ret).values_list("key", flat=True))
    unexplained = run.findings.filter(severity=Finding.Severity.QUERY).exclude(key__in=explained).count()
    if unexplained:
        problems.append(f"Explain the {unexplained} quer{'ies' if unexplained != 1 else 'y'} found by the check.")
    return problems


def snapshot_data(ret: Return) -> dict:
    """The return's content now, as a snapshot keeps it (JSON-ready): the workforce section, the spend, the
    rows and the explanations. ``returns.changes`` compares the current content in the same shape."""
    rows = list(
        ret.assignments.values(
            "position",
            "borough__name",
            "role__code",
            "local_role__code",
            *[
                f
                for f in Assignment.INPUT_FIELDS
                if f not in ("borough", "role", "local_role", "previous_employer", "breach_sign_off")
            ],
            "previous_employer__name",
            "breach_sign_off_id",
        )
    )
    data = {
        "status": ret.status,
        "workforce": list(ret.workforce.values("role__code", *WorkforceLine.FIGURES)),
        "agency_spend": [ret.agency_spend_month_1, ret.agency_spend_month_2, ret.agency_spend_month_3],
        "project_teams": ret.project_teams,
        "assignments": rows,
        "explanations": dict(ret.explanations.values_list("key", "text")),
    }
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _snapshot(ret: Return, by) -> Snapshot:
    number = (ret.snapshots.aggregate(m=Max("number"))["m"] or 0) + 1
    return Snapshot.objects.create(
        ret=ret, number=number, revision=ret.revision, data=snapshot_data(ret), created_by=by
    )


def _mark_signed_off(ret: Return, by) -> None:
    """Mark the submitted version as signed off. Breaches signed off (or agreements recorded) on the submitted
    return moved its revision since submission: then the content as signed off is kept too."""
    snapshot = ret.snapshots.order_by("-number").first()
    if snapshot is None:  # submitted before versions were kept: nothing to mark
        return
    ret.refresh_from_db(fields=["revision"])
    snapshot.signed_off_at, snapshot.signed_off_by = ret.signed_off_at, by
    snapshot.signed_off_data = snapshot_data(ret) if ret.revision != snapshot.revision else None
    snapshot.save(update_fields=["signed_off_at", "signed_off_by", "signed_off_data"])


@transaction.atomic
def submit_return(*, ret: Return, by) -> Return:
    """The submitter sends the checked return for sign-off. Needs a check of this revision with no errors
    and every query explained; keeps a snapshot of what was submitted."""
    acting = access.require(by, "return.submit", ret, error=ReturnError)
    ret = Return.objects.select_for_update().select_related("period", "unit").get(pk=ret.pk)
    if not ret.is_editable:
        raise ReturnError(f"This return is already {ret.get_status_display().lower()}.")
    if ret.period.is_locked(timezone.localdate()) and ret.status != Return.Status.RETURNED:
        raise ReturnError("This period is locked. Ask your regional analyst to reopen it.")
    if problems := submission_problems(ret):
        raise ReturnError(" ".join(problems))
    _move(ret, by, Return.Status.SUBMITTED, organisation=acting)
    ret.submitted_at, ret.submitted_by = timezone.now(), by
    ret.save(update_fields=["status", "submitted_at", "submitted_by"])
    _snapshot(ret, by)
    return ret


@transaction.atomic
def sign_off_return(*, ret: Return, by) -> Return:
    """The approver signs off the submitted return. Every over-cap row must have its breach signed off."""
    ret = Return.objects.select_for_update().select_related("period", "unit").get(pk=ret.pk)
    acting = access.require(by, "return.sign_off", ret, error=ReturnError)
    if ret.status != Return.Status.SUBMITTED:
        raise ReturnError(f"Only a submitted return can be signed off; this one is {ret.get_status_display().lower()}.")
    run = selectors.latest_run(ret)
    unsigned = run.findings.filter(rule_code="RATE-001").count() if run else 0
    if unsigned:
        raise ReturnError(
            f"Sign off the {unsigned} breach{'es' if unsigned != 1 else ''} of the cap first, then the return."
        )
    _move(ret, by, Return.Status.SIGNED_OFF, organisation=acting)
    ret.signed_off_at, ret.signed_off_by = timezone.now(), by
    ret.save(update_fields=["status", "signed_off_at", "signed_off_by"])
    _mark_signed_off(ret, by)
    return ret


@transaction.atomic
def send_back_to_submitter(*, ret: Return, by, comment: str) -> Return:
    """The approver sends a submitted return back to the workforce lead instead of signing it off, saying what
    to change; it can then be changed and submitted again."""
    ret = Return.objects.select_for_update().select_related("period", "unit").get(pk=ret.pk)
    acting = access.require(by, "return.sign_off", ret, error=ReturnError)
    if ret.status != Return.Status.SUBMITTED:
        raise ReturnError(f"Only a submitted return can be sent back; this one is {ret.get_status_display().lower()}.")
    if not comment.strip():
        raise ReturnError("Say what the workforce lead needs to change.")
    _move(ret, by, Return.Status.RETURNED, comment=comment.strip(), organisation=acting)
    ret.returned_comment = comment.strip()
    ret.save(update_fields=["status", "returned_comment"])
    return ret


@transaction.atomic
def sign_off_row_breach(
    *,
    ret: Return,
    by,
    assignment: Assignment,
    reason: str,
    signed_by_title: str,
    chief_executive: str,
    signed_on: date | None = None,
) -> Assignment:
    """The approver signs off one over-cap row (through the rates service) and the row records it. Allowed
    on a draft or a submitted return; a submitted return stays as submitted."""
    ret = Return.objects.select_for_update().select_related("period", "unit").get(pk=ret.pk)
    acting = access.require(by, "breach.sign_off", ret, error=ReturnError)
    if ret.status not in (*Return.EDITABLE, Return.Status.SUBMITTED):
        raise ReturnError(f"This return is {ret.get_status_display().lower()}, so its rows cannot change.")
    row = ret.assignments.select_for_update(of=("self",)).select_related("breach_sign_off").get(pk=assignment.pk)
    signed = row.breach_sign_off
    if signed and (signed.hourly_rate, signed.assignment_start, signed.engagement_type) == (
        row.hourly_pay_rate,
        row.start_date,
        row.engagement_type,
    ):
        raise ReturnError("This row's breach is already signed off.")
    missing = [
        n
        for n in ("registration_number", "role", "engagement_type", "start_date", "hourly_pay_rate")
        if not getattr(row, n)
    ]
    if missing:
        raise ReturnError(
            "Complete the row (registration number, role, engagement type, start date and pay rate) first."
        )
    sign_off = rate_services.sign_off_breach(
        # In a joint unit an approver may sign for a row of the other borough, recorded as their own borough's.
        borough=row.borough if access.can(by, "borough.sign_off_breach", row.borough) else acting.borough,
        by=by,
        registration_number=row.registration_number,
        role=row.local_role.code if row.local_role else row.role.code,
        engagement_type=row.engagement_type,
        assignment_start=row.start_date,
        hourly_rate=Decimal(row.hourly_pay_rate),
        reason=reason,
        signed_by_title=signed_by_title,
        chief_executive=chief_executive,
        signed_on=signed_on,
    )
    row.breach_sign_off = sign_off
    row.save(update_fields=["breach_sign_off"])
    # The link is a change of content: a draft needs checking again; a submitted return's findings are
    # brought up to date by dropping the now-signed-off breach.
    Return.objects.filter(pk=ret.pk).update(revision=F("revision") + 1)
    if ret.status == Return.Status.SUBMITTED:
        run = selectors.latest_run(ret)
        dropped, _ = Finding.objects.filter(run=run, assignment=row, rule_code="RATE-001").delete()
        if run and dropped:
            ValidationRun.objects.filter(pk=run.pk).update(errors=F("errors") - dropped)
        Return.objects.filter(pk=ret.pk).update(validated_revision=F("revision"))
    return row


@transaction.atomic
def accept_return(*, ret: Return, by, comment: str = "") -> Return:
    ret = Return.objects.select_for_update().select_related("period__region").get(pk=ret.pk)
    acting = access.require(by, "return.review", ret, error=ReturnError)
    if ret.status != Return.Status.SIGNED_OFF:
        raise ReturnError(f"Only a signed-off return can be accepted; this one is {ret.get_status_display().lower()}.")
    _move(ret, by, Return.Status.ACCEPTED, comment=comment, organisation=acting)
    ret.accepted_at, ret.accepted_by = timezone.now(), by
    ret.save(update_fields=["status", "accepted_at", "accepted_by"])
    _refresh_dashboard_figures(ret)
    return ret


def _refresh_dashboard_figures(ret: Return) -> None:
    """The dashboards read an accepted return's figures from aggregates built now, in the same transaction."""
    from dashboards.aggregates import refresh

    refresh(ret)


@transaction.atomic
def return_for_amendment(*, ret: Return, by, comment: str) -> Return:
    """The analyst sends a submitted or signed-off return back, saying what to change."""
    ret = Return.objects.select_for_update().select_related("period__region").get(pk=ret.pk)
    acting = access.require(by, "return.review", ret, error=ReturnError)
    if ret.status not in (Return.Status.SUBMITTED, Return.Status.SIGNED_OFF):
        raise ReturnError(
            f"Only a submitted or signed-off return can be returned; this one is {ret.get_status_display().lower()}."
        )
    if not comment.strip():
        raise ReturnError("Say what the borough needs to change.")
    _move(ret, by, Return.Status.RETURNED, comment=comment.strip(), organisation=acting)
    ret.returned_comment = comment.strip()
    ret.save(update_fields=["status", "returned_comment"])
    return ret


@transaction.atomic
def reopen_return(*, ret: Return, by, comment: str) -> Return:
    """The analyst reopens an accepted return so it can be corrected; audited with the reason."""
    ret = Return.objects.select_for_update().select_related("period__region").get(pk=ret.pk)
    acting = access.require(by, "return.review", ret, error=ReturnError)
    if ret.status != Return.Status.ACCEPTED:
        raise ReturnError("Only an accepted return is reopened; others can be returned for amendment.")
    if not comment.strip():
        raise ReturnError("Say why the return is being reopened.")
    _move(ret, by, Return.Status.RETURNED, comment=comment.strip(), organisation=acting)
    ret.returned_comment = comment.strip()
    ret.save(update_fields=["status", "returned_comment"])
    _refresh_dashboard_figures(ret)  # no longer accepted: its figures leave the dashboards
    return ret
