"""Shared referee contacts: references of a region where one contact (an email address or a phone number, as
``references.contacts`` normalises them) is the referee's for different candidates, or is both a referee's and
a candidate's own, a known sign of fabricated references. No single borough can see this: the references are
issued by different boroughs.

A contact *group* is one normalised contact and every reference of the region that carries it, as referee or
as the candidate's own. A group is shown when its referee vouches for two or more candidates (different
registration numbers), or when a candidate's own contact is also a referee's (on a reference about them or about
another candidate). Not shown: the same candidate's references written by the same referee; contacts that
differ; blanks (a blank is never a contact, so two never match).

What the region sees follows the reference access rules: the region may not read references, so a group lists
only what identifies each reference (its number, the registration number, the issuing borough, the agency, when
and how it was written) and never its answers, file or the candidate's name; a reference is linked only for
those who may read it. Listing a reference here is recorded in the audit log, in the reference's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection

from .models import Reference

GROUPS_SHOWN = 25  # groups a page lists
MEMBERS_SHOWN = 10  # references listed per group (the group says how many there are)
KIND_LABELS = {"email": "Email address", "phone": "Phone number"}
PART_LABELS = {"referee": "Referee's contact", "candidate": "Candidate's own contact"}


@dataclass
class Member:
    reference_id: int
    part: str  # "referee" or "candidate"
    registration_number: str
    borough: str = ""
    agency: str = ""
    written: datetime | None = None
    source: str = ""
    template_version: int | None = None
    readable: bool = False  # the viewer may open the reference itself

    @property
    def part_label(self) -> str:
        return PART_LABELS[self.part]


@dataclass
class ContactGroup:
    kind: str  # "email" or "phone"
    value: str
    referee_for: int  # candidates whose referee has this contact
    candidate_of: int  # candidates whose own contact it is
    own: int  # candidates whose referee shares their own contact
    candidates: int
    references: int
    members: list[Member] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def reasons(self) -> list[str]:
        reasons = []
        if self.referee_for >= 2:
            reasons.append(f"The referee's contact on references about {self.referee_for} different candidates")
        if self.own:
            reasons.append(
                "The referee shares a contact with the candidate"
                + (f" ({self.own} candidates)" if self.own > 1 else "")
            )
        if self.candidate_of and self.referee_for and not (self.candidate_of == self.referee_for == self.own == 1):
            reasons.append("A candidate's own contact is the referee's on a reference about another candidate")
        return reasons

    @property
    def more(self) -> int:
        return max(0, self.references - len({m.reference_id for m in self.members}))


@dataclass
class SharedContacts:
    total: int  # groups in all
    groups: list[ContactGroup] = field(default_factory=list)


def _statement(region) -> tuple[str, list]:
    """``WITH ... shared AS (...)``: every contact group of the region's references that is shown."""
    scoped_sql, scoped_params = (
        Reference.objects.filter(issuing_borough__region=region).order_by().values("pk").query.sql_with_params()
    )
    table = connection.ops.quote_name(Reference._meta.db_table)
    occurrences = " UNION ALL ".join(
        f"SELECT '{kind}' AS kind, {column} AS value, '{part}' AS part, id, reg FROM scoped WHERE {column} <> ''"
        for kind, part, column in (
            ("email", "referee", "referee_email"),
            ("phone", "referee", "referee_phone"),
            ("email", "candidate", "candidate_email"),
            ("phone", "candidate", "candidate_phone"),
        )
    )
    sql = f"""
        WITH scoped AS (
            SELECT id, registration_number AS reg, referee_email, referee_phone, candidate_email, candidate_phone
            FROM {table} WHERE id IN ({scoped_sql})
        ),
        occurrences AS ({occurrences}),
        per_candidate AS (
            SELECT kind, value, reg,
                MAX(CASE WHEN part = 'referee' THEN 1 ELSE 0 END) AS as_referee,
                MAX(CASE WHEN part = 'candidate' THEN 1 ELSE 0 END) AS as_candidate,
                COUNT(DISTINCT id) AS refs
            FROM occurrences GROUP BY kind, value, reg
        ),
        shared AS (
            SELECT kind, value, SUM(as_referee) AS referee_for, SUM(as_candidate) AS candidate_of,
                SUM(as_referee * as_candidate) AS own, COUNT(*) AS candidates, SUM(refs) AS refs
            FROM per_candidate GROUP BY kind, value
            HAVING SUM(as_referee) >= 2 OR (SUM(as_referee) >= 1 AND SUM(as_candidate) >= 1)
        )
    """
    return sql, list(scoped_params)


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def shared_referee_contacts(region, *, offset: int = 0, limit: int = GROUPS_SHOWN, per_group: int = MEMBERS_SHOWN):
    """The region's contact groups, those with the most candidates first: ``limit`` groups from ``offset``, each
    with at most ``per_group`` of its references. The caller has checked ``referee_contacts.read`` on the
    region. Three queries (the count; the groups with their references; the references' boroughs and
    agencies)."""
    sql, params = _statement(region)
    ((total,),) = _fetch(sql + " SELECT COUNT(*) FROM shared", params)
    if not total:
        return SharedContacts(0)
    rows = _fetch(
        sql
        + """, top AS (
                SELECT * FROM shared ORDER BY candidates DESC, refs DESC, kind, value LIMIT %s OFFSET %s
            ),
            members AS (
                SELECT top.kind, top.value, top.referee_for, top.candidate_of, top.own, top.candidates, top.refs,
                    occurrences.part, occurrences.id, occurrences.reg,
                    ROW_NUMBER() OVER (
                        PARTITION BY top.kind, top.value ORDER BY occurrences.reg, occurrences.id, occurrences.part
                    ) AS n
                FROM top JOIN occurrences ON occurrences.kind = top.kind AND occurrences.value = top.value
            )
            SELECT * FROM members WHERE n <= %s
            ORDER BY candidates DESC, refs DESC, kind, value, n""",
        [*params, max(0, int(limit)), max(0, int(offset)), max(1, int(per_group))],
    )
    groups: dict[tuple[str, str], ContactGroup] = {}
    for kind, value, referee_for, candidate_of, own, candidates, refs, part, reference_id, reg, _ in rows:
        group = groups.get((kind, value))
        if group is None:
            group = groups[(kind, value)] = ContactGroup(
                kind, value, int(referee_for), int(candidate_of), int(own), int(candidates), int(refs)
            )
        group.members.append(Member(reference_id, part, reg))
    details = {
        r.pk: r
        for r in Reference.objects.filter(pk__in={m.reference_id for g in groups.values() for m in g.members})
        .select_related("issuing_borough", "agency", "template")
        .only(
            "pk",
            "source",
            "created_at",
            "issuing_borough__name",
            "agency__name",
            "template__version",
        )
    }
    for group in groups.values():
        for member in group.members:
            reference = details.get(member.reference_id)
            if reference is not None:
                member.borough, member.agency = reference.issuing_borough.name, reference.agency.name
                member.written, member.source = reference.created_at, reference.get_source_display()
                member.template_version = reference.template.version
    return SharedContacts(int(total), list(groups.values()))
