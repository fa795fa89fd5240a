"""Reading returns. Every page, API endpoint, export and task reads through these, already scoped."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from pledge_portal.accounts.roles import BOROUGH_ROLES, OrganisationKind, Role

from .models import (
    Assignment,
    CompliancePack,
    Finding,
    QueryExplanation,
    ReportingPeriod,
    ReportingUnit,
    Return,
    ValidationRun,
)

# Who makes returns for a unit: its borough's users, and MSP users for the boroughs their MSP serves.
RETURN_MAKERS = BOROUGH_ROLES | {Role.MSP_USER}


def _own_borough_ids(user) -> list[int]:
    """Boroughs the user works for or acts for (as an MSP user), not boroughs they oversee regionally."""
    if not user.has_role(*RETURN_MAKERS):
        return []
    return list(user.boroughs().values_list("pk", flat=True))


def units_visible_to(user) -> QuerySet[ReportingUnit]:
    qs = ReportingUnit.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    q = Q(boroughs__in=_own_borough_ids(user))
    if user.is_regional:
        q |= Q(region__in=user.regions())
    return qs.filter(q).distinct()


def returns_visible_to(user) -> QuerySet[Return]:
    """A borough's (or its MSP's) users see their unit's returns; regional roles see their region's."""
    qs = Return.objects.select_related("unit", "period", "period__region")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    q = Q(unit__boroughs__in=_own_borough_ids(user))
    if user.is_regional:
        q |= Q(unit__region__in=user.regions())
    return qs.filter(pk__in=Return.objects.filter(q).values("pk"))


def returns_made_by(user) -> QuerySet[Return]:
    """Returns the user may edit and submit: their own unit's, as a borough user or its MSP."""
    qs = Return.objects.select_related("unit", "period", "period__region")
    if not user.is_authenticated or not user.has_role(*RETURN_MAKERS):
        return qs.none()
    return qs.filter(pk__in=Return.objects.filter(unit__boroughs__in=_own_borough_ids(user)).values("pk"))


def units_made_by(user) -> QuerySet[ReportingUnit]:
    if not user.is_authenticated or not user.has_role(*RETURN_MAKERS):
        return ReportingUnit.objects.none()
    return ReportingUnit.objects.filter(boroughs__in=_own_borough_ids(user)).distinct()


def periods_visible_to(user) -> QuerySet[ReportingPeriod]:
    """Periods of the user's region(s): their own region, or the region of the boroughs they work for."""
    qs = ReportingPeriod.objects.select_related("region")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(Q(region__in=user.regions()) | Q(region__boroughs__in=user.boroughs())).distinct()


def periods_managed_by(user) -> QuerySet[ReportingPeriod]:
    """Periods a regional analyst opens, extends and locks: their own region's."""
    qs = ReportingPeriod.objects.select_related("region")
    if not user.is_authenticated or not user.has_role(Role.REGIONAL_ANALYST, Role.PLATFORM_ADMIN):
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    return qs.filter(region__in=user.regions())


def assignments_visible_to(user) -> QuerySet[Assignment]:
    """Rows the user may read: their unit's, their agency's (across boroughs), or their region's."""
    qs = Assignment.objects.select_related("ret__period", "borough", "role", "agency")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    q = Q(ret__unit__boroughs__in=_own_borough_ids(user))
    if user.is_regional:
        q |= Q(ret__unit__region__in=user.regions())
    if user.has_role(Role.AGENCY_USER, Role.AGENCY_ADMIN):
        q |= Q(agency__in=user.agencies())
    return qs.filter(pk__in=Assignment.objects.filter(q).values("pk"))


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

    @property
    def status_label(self) -> str:
        return self.ret.get_status_display() if self.ret else "Not started"


def completeness_for(period: ReportingPeriod, *, today: date) -> list[UnitStatus]:
    """Every reporting unit of the period's region with its return (or none) and whether it is late: not
    submitted by the deadline. Two queries, whatever the number of units."""
    returns = {r.unit_id: r for r in Return.objects.filter(period=period).select_related("submitted_by")}
    statuses = []
    for unit in ReportingUnit.objects.filter(region=period.region).prefetch_related("boroughs"):
        ret = returns.get(unit.pk)
        waiting = ret is None or ret.status in Return.EDITABLE
        statuses.append(UnitStatus(unit=unit, ret=ret, late=waiting and today > period.deadline))
    return statuses


def packs_visible_to(user) -> QuerySet[CompliancePack]:
    """Compliance packs the user may see and download: regional roles, their region's (the regional pack and
    every borough's); a borough's own submitters and approvers, their borough's pack (not MSP users, who act
    for a borough's returns but are not held to account by its pack); platform admins, all."""
    qs = CompliancePack.objects.select_related("period__region", "borough", "task_run", "requested_by")
    if not user.is_authenticated:
        return qs.none()
    if user.has_role(Role.PLATFORM_ADMIN):
        return qs
    q = Q(pk__in=[])
    if user.has_role(*BOROUGH_ROLES):
        q |= Q(borough__organisation_id__in=user.organisation_ids(kinds=(OrganisationKind.BOROUGH,)))
    if user.is_regional:
        q |= Q(period__region__in=user.regions())
    return qs.filter(q)
