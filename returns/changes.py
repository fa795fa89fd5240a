"""What changed in a return since its previous signed-off version: rows added, ended (an end date newly set),
changed and removed, each changed field as old → new, and the workforce and spend figures that changed.

The analyst reads it before accepting a resubmission and the approver before signing one off; anyone who may
read the return may read it (``return.read``). Both sides are compared in the shape a ``Snapshot`` keeps
(``services.snapshot_data``): the older side is the previous signed-off version's content as signed off
(``Snapshot.content_signed_off``), the newer side the return as it is now, or one submitted version.

Rows are matched as a merge matches them (``services._merge_key``): by registration number and start date. A
row without both cannot be matched that way and is matched by its row number instead. Row numbers themselves
are not content: a row renumbered by a re-upload is not "changed".

Bounded: the rows listed are the first ``ROW_LIMIT`` changed rows (added, then ended, changed and removed,
each in row order), with counts of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from pledge_portal.core.tables import Column, Table
from rates.models import EngagementType, LocalRole, RoleCategory

from .models import Return, Snapshot, WorkforceLine

ROW_LIMIT = 500
BLANK = "blank"
KINDS = ("added", "ended", "changed", "removed")
KIND_LABELS = {"added": "Added", "ended": "Ended", "changed": "Changed", "removed": "Removed"}

# A row's fields as a snapshot keeps them: (key, label, how the value reads). The registration number and the
# start date match the rows, so they never differ between matched rows.
ROW_FIELDS = (
    ("borough__name", "Borough", "text"),
    ("role__code", "Role", "role"),
    ("local_role__code", "Local role", "role"),
    ("agency_name", "Agency", "text"),
    ("engagement_type", "Engagement type", "engagement"),
    ("end_date", "End date", "date"),
    ("hourly_pay_rate", "Hourly pay rate", "money"),
    ("hourly_charge_rate", "Hourly charge rate", "money"),
    ("project_team", "Project team", "yesno"),
    ("pqe_years", "Post-qualifying experience (years)", "number"),
    ("previous_employer__name", "Previous permanent employer", "text"),
    ("left_previous_on", "Left that post on", "date"),
    ("reference_received", "Reference received", "yesno"),
    ("notice_period_weeks", "Notice period (weeks)", "number"),
    ("breach_sign_off_id", "Breach of the cap signed off", "sign_off"),
)
WORKFORCE_LABELS = WorkforceLine.FIGURE_LABELS


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class RowChange:
    kind: str  # one of KINDS
    registration_number: str
    start_date: str  # as read
    position: int | None  # the row's number in the newer content (in the older, for a removed row)
    fields: list[FieldChange] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class FigureChange:
    subject: str  # a role's name, or "Whole return"
    label: str
    old: str
    new: str


@dataclass
class Changes:
    ret: Return
    base: Snapshot | None  # the previous signed-off version; None when there is none
    compared: str  # what was compared with it: "the return as it is now", "version 3"
    counts: dict[str, int] = field(default_factory=dict)  # each of KINDS, and "unchanged"
    rows: list[RowChange] = field(default_factory=list)  # the first ``limit`` changed rows
    figures: list[FigureChange] = field(default_factory=list)  # workforce and spend
    limit: int = ROW_LIMIT

    @property
    def rows_changed(self) -> int:
        return sum(self.counts.get(kind, 0) for kind in KINDS)

    @property
    def cut(self) -> bool:
        return self.rows_changed > len(self.rows)

    @property
    def anything(self) -> bool:
        return bool(self.rows_changed or self.figures)

    def summary(self) -> str:
        """One sentence for the accept and sign-off pages."""
        if self.base is None:
            return "There is no earlier signed-off version of this return to compare with."
        if not self.anything:
            return f"Nothing has changed since version {self.base.number} was signed off."
        parts = [f"{self.counts[kind]:,} row{'s' if self.counts[kind] != 1 else ''} {kind}" for kind in KINDS]
        figures = len(self.figures)
        parts.append(f"{figures:,} workforce or spend figure{'s' if figures != 1 else ''} changed")
        return f"Since version {self.base.number} was signed off: {', '.join(parts)}."


# --- Which versions are compared -----------------------------------------------------------------------


def previous_signed_off(ret: Return, *, before: int | None = None) -> Snapshot | None:
    """The latest signed-off version numbered below ``before`` (any, when None)."""
    versions = ret.snapshots.filter(signed_off_at__isnull=False)
    if before is not None:
        versions = versions.filter(number__lt=before)
    return versions.select_related("created_by", "signed_off_by").order_by("-number").first()


def changes_since_sign_off(ret: Return, *, version: int | None = None, limit: int = ROW_LIMIT) -> Changes:
    """The return as it is now (``version`` None), or its submitted ``version``, against the previous
    signed-off version. While a submitted version waits for sign-off or acceptance, the return as it is now
    *is* that version, so it is compared with the version signed off before it. Raises ``Snapshot.DoesNotExist``
    for a version the return does not have. Three queries and the two versions' rows in memory."""
    from .services import snapshot_data

    if version is not None:
        newer = ret.snapshots.get(number=version)
        base = previous_signed_off(ret, before=newer.number)
        compared, content = f"version {newer.number}", newer.data
    else:
        latest = ret.snapshots.order_by("-number").values_list("number", flat=True).first()
        waiting = ret.status not in Return.EDITABLE and latest is not None
        base = previous_signed_off(ret, before=latest if waiting else None)
        compared, content = "the return as it is now", None
    changes = Changes(ret=ret, base=base, compared=compared, limit=limit)
    if base is None:
        return changes
    if content is None:
        content = snapshot_data(ret)
    _compare(changes, base.content_signed_off, content, _Names.load(ret))
    return changes


# --- Comparing two contents ----------------------------------------------------------------------------


class _Names:
    """How codes read: role codes as the roles' names, engagement types as their labels."""

    def __init__(self, roles: dict[str, str]):
        self.roles = roles

    @classmethod
    def load(cls, ret: Return) -> _Names:
        roles = dict(RoleCategory.objects.values_list("code", "name"))
        roles |= dict(LocalRole.objects.filter(region=ret.period.region_id).values_list("code", "name"))
        return cls(roles)


def _normal(value, how: str):
    """A value as compared: blanks are None; numbers compare as numbers ("35.0" is "35.00")."""
    if value is None or value == "":
        return None
    if how in ("money", "number"):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return str(value)
    return value


def _read(value, how: str, names: _Names) -> str:
    """A value as a person reads it; a blank is "blank"."""
    value = _normal(value, how)
    if value is None:
        return BLANK
    if how == "money" and isinstance(value, Decimal):
        return f"£{value:,.2f}"
    if how == "date":
        try:
            return f"{date.fromisoformat(str(value)):%-d %B %Y}"
        except ValueError:
            return str(value)
    if how == "yesno":
        return "Yes" if value else "No"
    if how == "role":
        return names.roles.get(value, str(value))
    if how == "engagement":
        return dict(EngagementType.choices).get(value, str(value))
    if how == "sign_off":
        return f"Yes (sign-off {value})"
    return str(value)


def _key(row: dict) -> tuple:
    from .services import _merge_key

    number, start = _merge_key(row)
    return ("assignment", number, start) if number and start else ("row", row.get("position"))


def _keyed(rows: list[dict]) -> dict[tuple, dict]:
    """Rows by key. A key held twice (a draft may hold the same assignment twice) keeps the first row by its
    key and the other by its row number."""
    keyed: dict[tuple, dict] = {}
    for row in rows:
        key = _key(row)
        keyed[key if key not in keyed else ("row", row.get("position"))] = row
    return keyed


def _field_changes(old: dict | None, new: dict | None, names: _Names) -> list[FieldChange]:
    changes = []
    for key, label, how in ROW_FIELDS:
        before = _normal(old.get(key), how) if old is not None else None
        after = _normal(new.get(key), how) if new is not None else None
        if before != after:
            changes.append(FieldChange(label, _read(before, how, names), _read(after, how, names)))
    return changes


def _compare(changes: Changes, old: dict, new: dict, names: _Names) -> None:
    before, after = _keyed(old.get("assignments", [])), _keyed(new.get("assignments", []))
    found: list[RowChange] = []
    counts = dict.fromkeys((*KINDS, "unchanged"), 0)
    for key, row in after.items():
        previous = before.get(key)
        fields = _field_changes(previous, row, names)
        if previous is None:
            kind = "added"
        elif not fields:
            counts["unchanged"] += 1
            continue
        elif _normal(previous.get("end_date"), "date") is None and _normal(row.get("end_date"), "date") is not None:
            kind = "ended"
        else:
            kind = "changed"
        counts[kind] += 1
        found.append(_row_change(kind, row, fields, names))
    for key, row in before.items():
        if key not in after:
            counts["removed"] += 1
            found.append(_row_change("removed", row, [], names))
    order = {kind: index for index, kind in enumerate(KINDS)}
    found.sort(key=lambda change: (order[change.kind], change.position or 0))
    changes.counts, changes.rows = counts, found[: changes.limit]
    changes.figures = _figure_changes(old, new, names)


def _row_change(kind: str, row: dict, fields: list[FieldChange], names: _Names) -> RowChange:
    return RowChange(
        kind=kind,
        registration_number=row.get("registration_number") or BLANK,
        start_date=_read(row.get("start_date"), "date", names),
        position=row.get("position"),
        # An added row lists what it holds; a removed one needs no list: it is gone.
        fields=[f for f in fields if f.new != BLANK] if kind == "added" else fields,
    )


def _figure_changes(old: dict, new: dict, names: _Names) -> list[FigureChange]:
    figures = []
    before = {line.get("role__code"): line for line in old.get("workforce", [])}
    after = {line.get("role__code"): line for line in new.get("workforce", [])}
    for code in [*after, *(c for c in before if c not in after)]:
        for name, label in WORKFORCE_LABELS.items():
            a = _normal((before.get(code) or {}).get(name), "number")
            b = _normal((after.get(code) or {}).get(name), "number")
            if a != b:
                role = names.roles.get(code, str(code))
                figures.append(FigureChange(role, label, _read(a, "number", names), _read(b, "number", names)))
    old_spend, new_spend = old.get("agency_spend") or [None] * 3, new.get("agency_spend") or [None] * 3
    for month, (a, b) in enumerate(zip(old_spend, new_spend, strict=False), start=1):
        if _normal(a, "money") != _normal(b, "money"):
            label = f"Agency spend, month {month}"
            figures.append(FigureChange("Whole return", label, _read(a, "money", names), _read(b, "money", names)))
    if _normal(old.get("project_teams"), "number") != _normal(new.get("project_teams"), "number"):
        figures.append(
            FigureChange(
                "Whole return",
                "Agency project teams",
                _read(old.get("project_teams"), "number", names),
                _read(new.get("project_teams"), "number", names),
            )
        )
    return figures


# --- As tables (page, CSV) ------------------------------------------------------------------------------


def rows_table(changes: Changes) -> Table:
    """The changed rows, one line per changed field (a removed row has one line)."""
    lines = []
    for row in changes.rows:
        head = [row.kind_label, row.position, row.registration_number, row.start_date]
        if not row.fields:
            lines.append([*head, "", "", ""])
        lines += [[*head, f.label, f.old, f.new] for f in row.fields]
    shown = f"the first {len(changes.rows):,} of {changes.rows_changed:,} changed rows" if changes.cut else ""
    return Table(
        title="Rows changed",
        columns=[
            Column("Change"),
            Column("Row", "count"),
            Column("Registration number"),
            Column("Start date"),
            Column("Field"),
            Column("Before"),
            Column("After"),
        ],
        rows=lines,
        note=f"Showing {shown}." if shown else "",
        empty="No rows were added, ended, changed or removed.",
    )


def figures_table(changes: Changes) -> Table:
    return Table(
        title="Workforce and spend figures changed",
        columns=[Column("Role"), Column("Figure"), Column("Before"), Column("After")],
        rows=[[f.subject, f.label, f.old, f.new] for f in changes.figures],
        empty="No workforce or spend figure changed.",
    )


def counts_table(changes: Changes) -> Table:
    return Table(
        title="Rows, by change",
        columns=[Column("Change"), Column("Rows", "count")],
        rows=[[KIND_LABELS[kind], changes.counts.get(kind, 0)] for kind in KINDS]
        + [["Unchanged", changes.counts.get("unchanged", 0)]],
    )
