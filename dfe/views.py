"""DfE return pages: the periods, one period's page (a borough's own file; for the region, every borough's status
and file, and the regional extract), the downloads (each audited) and asking for the extract. Everything is
reached through the scoping selectors, so another region's period or another borough's file answers 404."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from boroughs.models import Borough
from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404
from pledge_portal.core.excel import XLSX_CONTENT_TYPE
from pledge_portal.core.tables import Column, Table
from returns.models import ReportingUnit, Return

from . import mapping, selectors, services
from .content import census_date
from .models import DfeExtract

CONTENT_TYPES = {"xlsx": XLSX_CONTENT_TYPE, "csv": "text/csv; charset=utf-8"}


class DfeIndexView(ActionRequiredMixin, View):
    action_required = "dfe.read"

    def get(self, request):
        periods = selectors.periods_visible_to(request.user).order_by("-starts_on", "region__name")[:200]
        return render(request, "dfe/index.html", {"periods": periods})


def borough_statuses(period, boroughs: list[Borough]) -> dict[int, str]:
    """Each borough's return status for the period ("No return started" when there is none). Two queries."""
    units = {}
    for unit in ReportingUnit.objects.filter(boroughs__in=boroughs).prefetch_related("boroughs").distinct():
        for b in unit.boroughs.all():
            units.setdefault(b.pk, unit.pk)
    statuses = dict(Return.objects.filter(period=period, unit__in=set(units.values())).values_list("unit_id", "status"))
    labels = dict(Return.Status.choices)
    return {
        b.pk: labels[statuses[units[b.pk]]] if units.get(b.pk) in statuses else "No return started" for b in boroughs
    }


class DfePeriodView(ActionRequiredMixin, View):
    """A borough's users see their borough's file; the region's roles every borough's, with its status, and the
    regional extract (which its analysts build here)."""

    action_required = "dfe.read"

    def get(self, request, pk):
        period = get_visible_or_404(selectors.periods_visible_to, request.user, pk=pk)
        boroughs = list(selectors.boroughs_downloadable_by(request.user, period))
        statuses = borough_statuses(period, boroughs)
        accepted = sum(s == Return.Status.ACCEPTED.label for s in statuses.values())
        rules = Table(
            "The rules reported, and how certain their reading is",
            [Column("Rule"), Column("Applies to assignments starting from", "date"), Column("Certainty")],
            [[rule.heading, rule.applies_from, rule.certainty.label] for rule in mapping.RULES],
            note="DfE's template is not public: the file's Mapping sheet lists every column's source and certainty.",
        )
        extracts = list(selectors.extracts_visible_to(request.user).filter(period=period).order_by("-version")[:10])
        context = {
            "period": period,
            "boroughs": [(b, statuses[b.pk]) for b in boroughs],
            "rules": rules,
            "accepted": accepted,
            "census_date": census_date(period),
            "extracts": extracts,
            "building": next((e for e in extracts if e.status == DfeExtract.Status.BUILDING), None),
            "may_build": access.can(request.user, "dfe.extract_build", period),
            "may_read_extracts": access.can(request.user, "dfe.extract_download"),
        }
        return render(request, "dfe/period.html", context)


def _borough_download(request, pk: int, borough: int, kind: str) -> HttpResponse:
    period = get_visible_or_404(selectors.periods_visible_to, request.user, pk=pk)
    chosen = get_visible_or_404(lambda user: selectors.boroughs_downloadable_by(user, period), request.user, pk=borough)
    data, name = services.borough_file(period=period, borough=chosen, by=request.user, kind=kind, request=request)
    response = HttpResponse(data, content_type=CONTENT_TYPES[kind])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class BoroughReturnView(ActionRequiredMixin, View):
    """A borough's DfE return for the period as a workbook, made now (a borough's rows are few), audited."""

    action_required = "dfe.download"

    def get(self, request, pk, borough):
        return _borough_download(request, pk, borough, "xlsx")


class BoroughAssignmentsView(ActionRequiredMixin, View):
    """The assignment-level sheet of a borough's DfE return, as CSV."""

    action_required = "dfe.download"

    def get(self, request, pk, borough):
        return _borough_download(request, pk, borough, "csv")


class ExtractBuildView(ActionRequiredMixin, View):
    """POST only: ask for the regional extract, then back to the period's page (POST-redirect-GET)."""

    action_required = "dfe.extract_build"
    http_method_names = ["post"]

    def post(self, request, pk):
        from returns import selectors as returns_selectors

        period = get_visible_or_404(
            lambda user: returns_selectors.periods_for(user, "dfe.extract_build"), request.user, pk=pk
        )
        try:
            extract, reused = services.request_extract(period=period, by=request.user)
        except services.DfeError as exc:
            messages.error(request, str(exc))
            return redirect("dfe:period", pk=period.pk)
        extract.refresh_from_db()  # without a worker the build has run by now
        if reused and extract.status == DfeExtract.Status.READY:
            messages.success(
                request, f"Nothing has changed since version {extract.version} was built, so it is ready now."
            )
        elif reused:
            messages.success(request, f"Version {extract.version} is already being built.")
        elif extract.status == DfeExtract.Status.READY:
            messages.success(request, f"Version {extract.version} is built and ready to download.")
        else:
            messages.success(request, f"Building version {extract.version}. This page shows its progress.")
        return redirect(reverse("dfe:period", args=[period.pk]) + "#extract")


class ExtractDownloadView(ActionRequiredMixin, View):
    """A ready regional extract, after the access check, audited."""

    action_required = "dfe.extract_download"

    def get(self, request, pk):
        extract = get_visible_or_404(selectors.extracts_visible_to, request.user, pk=pk)
        if extract.status != DfeExtract.Status.READY:
            raise Http404("This extract has no file to download yet.")
        services.record_extract_download(extract=extract, by=request.user, request=request)
        return FileResponse(
            extract.xlsx.open("rb"),
            as_attachment=True,
            filename=services.extract_file_name(extract),
            content_type=XLSX_CONTENT_TYPE,
        )
