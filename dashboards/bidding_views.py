"""Signs of bidding up (``figures.bidding``): the region's page, with boroughs named and agencies ranked; a
borough's page, with only its own rises and other boroughs not named; and the form where the region's analysts
set the threshold. Each table downloads as CSV (``?download=rises`` or ``agencies``)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404
from pledge_portal.core.exports import table_csv
from pledge_portal.core.tables import Column, Table

from . import figures
from .cache import figure, one_version
from .figures import bidding
from .forms import BiddingUpThresholdForm
from .selectors import boroughs_for, regions_for
from .services import DashboardSettingError, set_bidding_up_threshold
from .views import Filters, _region_quarters

PAGE_SIZE = 50  # rises a page lists
CSV_MAX = 10_000  # rises a CSV holds (the page says when there are more)
AGENCIES_SHOWN = 30  # agencies a page lists; the CSV has them all


class _Rises:
    """The flagged rises of a scope as the paginator reads them: a count, and one page fetched per slice."""

    def __init__(self, scope, threshold, total: int):
        self.scope, self.threshold, self.total = scope, threshold, total

    def count(self) -> int:
        return self.total

    def __getitem__(self, part: slice) -> list[bidding.Rise]:
        return figure(bidding.flagged_rises, self.scope, self.threshold, part.start, part.stop - part.start)


def _coverage(scope) -> Table:
    table = figures.coverage_table(figure(figures.coverage_by_quarter, scope))
    table.note = (
        "A rise is counted in the quarter its new assignment first appears in an accepted return; the earlier "
        "assignment may be in any earlier accepted return of the region. Draft, submitted and returned returns "
        "are not read. " + table.note
    ).strip()
    return table


class BiddingUpView(ActionRequiredMixin, View):
    template_name = "dashboards/bidding_up.html"

    def dispatch(self, request, *args, **kwargs):
        with one_version():
            return super().dispatch(request, *args, **kwargs)

    def page(self, request, *, scope, threshold, filters, subject: str, rises_table, context: dict):
        total, workers = figure(bidding.count_rises, scope, threshold)
        wanted = request.GET.get("download")
        if wanted:
            if wanted == "rises":
                table = rises_table(figure(bidding.flagged_rises, scope, threshold, 0, CSV_MAX))
            elif wanted == "agencies" and context.get("agencies") is not None:
                table = context["agencies"]
            else:
                raise Http404("There is no such download.")
            response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
            name = filters.file_name(f"bidding-up-{wanted}", subject)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        page = Paginator(_Rises(scope, threshold, total), PAGE_SIZE).get_page(request.GET.get("page"))
        query = urlencode({"from": filters.start.isoformat(), "to": filters.end.isoformat()})
        context = {
            **context,
            "filters": filters,
            "threshold": threshold,
            "coverage": _coverage(scope),
            "rises": rises_table(list(page.object_list)),
            "page_obj": page,
            "total": total,
            "workers": workers,
            "query": query,
            "csv_query": query,
            "csv_cut": total > CSV_MAX,
            "csv_max": CSV_MAX,
        }
        return render(request, self.template_name, context)


class RegionBiddingUpView(BiddingUpView):
    """The region's analysts (and platform admins): every flagged rise in the region, boroughs named, and the
    agencies whose workers show them most."""

    action_required = "bidding_up.region"

    def get(self, request, pk):
        region = get_visible_or_404(lambda u: regions_for(u, self.action_required), request.user, pk=pk)
        filters = Filters(request, _region_quarters(region), None)
        threshold = bidding.threshold_for(region)  # not cached: the data version does not follow it
        scope = figures.Scope(filters.start, filters.end, region=region)
        agencies = figure(bidding.agencies_by_rises, scope, threshold)
        agencies_table = Table(
            "Agencies by workers with a flagged rise (the agency of the new assignment)",
            [
                Column("Agency"),
                Column("Workers with a flagged rise", "count"),
                Column("Workers in the quarters chosen", "count"),
                Column("Share of their workers (%)", "percent"),
            ],
            [[a.agency, a.flagged_workers, a.workers, a.share] for a in agencies],
            note="Workers are counted by registration number in the region's accepted returns of the quarters "
            "chosen; agencies not known to the portal are grouped by the name boroughs report.",
            empty="No agency's workers show a rise beyond the threshold in the quarters chosen.",
            shown=AGENCIES_SHOWN,
        )
        return self.page(
            request,
            scope=scope,
            threshold=threshold,
            filters=filters,
            subject=region.name,
            rises_table=self.rises_table,
            context={
                "title": "Signs of bidding up",
                "caption": region.name,
                "back": reverse("dashboards:region", kwargs={"pk": region.pk}),
                "back_label": "Regional dashboard",
                "agencies": agencies_table,
                "threshold_url": reverse("dashboards:bidding-threshold", kwargs={"pk": region.pk})
                if access.can(request.user, "bidding_up.set_threshold", region)
                else "",
            },
        )

    @staticmethod
    def rises_table(rises) -> Table:
        return Table(
            "Flagged rises between a worker's assignments, newest quarter first, largest rise first",
            [
                Column("Registration number"),
                Column("Kind"),
                Column("From borough"),
                Column("Earlier quarter"),
                Column("Earlier rate (£)", "rate"),
                Column("To borough"),
                Column("Quarter started"),
                Column("New rate (£)", "rate"),
                Column("Rise (£)", "rate"),
                Column("Rise (%)", "percent"),
                Column("Agency"),
            ],
            [
                [
                    r.registration_number,
                    r.kind_label,
                    r.from_borough,
                    r.from_label,
                    r.from_rate,
                    r.to_borough,
                    r.to_label,
                    r.to_rate,
                    r.rise,
                    r.percent,
                    r.agency,
                ]
                for r in rises
            ],
            empty="No worker's rate rose beyond the threshold in the quarters chosen.",
        )


class BoroughBiddingUpView(BiddingUpView):
    """A borough's own users: rises into the borough only; another borough is never named, only "another
    London borough" and what it paid."""

    action_required = "bidding_up.borough"

    def get(self, request, pk):
        borough = get_visible_or_404(lambda u: boroughs_for(u, self.action_required), request.user, pk=pk)
        region = borough.region
        filters = Filters(request, _region_quarters(region), None)
        threshold = bidding.threshold_for(region)  # not cached: the data version does not follow it
        scope = figures.Scope(filters.start, filters.end, region=region, borough=borough)
        other = f"Another {region.name} borough"

        def rises_table(rises) -> Table:
            return Table(
                f"Rises beyond the region's threshold when a worker started a new assignment with {borough.name}",
                [
                    Column("Registration number"),
                    Column("Kind"),
                    Column("Earlier assignment"),
                    Column("Earlier quarter"),
                    Column("Earlier rate (£)", "rate"),
                    Column("Quarter started here"),
                    Column("Rate here (£)", "rate"),
                    Column("Rise (£)", "rate"),
                    Column("Rise (%)", "percent"),
                    Column("Agency"),
                ],
                [
                    [
                        r.registration_number,
                        "Moved here" if r.kind == bidding.MOVE else "Renewed here",
                        f"{other} paid £{r.from_rate}"
                        if r.kind == bidding.MOVE
                        else f"{borough.name} paid £{r.from_rate}",
                        r.from_label,
                        r.from_rate,
                        r.to_label,
                        r.to_rate,
                        r.rise,
                        r.percent,
                        r.agency,
                    ]
                    for r in rises
                ],
                note="Other boroughs are not named.",
                empty="None of your workers' rates rose beyond the threshold in the quarters chosen.",
            )

        return self.page(
            request,
            scope=scope,
            threshold=threshold,
            filters=filters,
            subject=borough.name,
            rises_table=rises_table,
            context={
                "title": "Rises in pay between assignments",
                "caption": borough.name,
                "back": reverse("dashboards:borough", kwargs={"pk": borough.pk}),
                "back_label": f"{borough.name} dashboard",
                "agencies": None,
                "threshold_url": "",
            },
        )


class BiddingUpThresholdView(ActionRequiredMixin, View):
    """The region's analysts set where a rise is flagged."""

    action_required = "bidding_up.set_threshold"
    template_name = "dashboards/bidding_threshold.html"

    def _region(self, request, pk):
        return get_visible_or_404(lambda u: regions_for(u, self.action_required), request.user, pk=pk)

    def get(self, request, pk):
        region = self._region(request, pk)
        current = bidding.threshold_for(region)
        initial = {
            "rise_percent": current.percent,
            "rise_pounds": current.pounds,
            "combine": "both" if current.both else "either",
        }
        form = BiddingUpThresholdForm(initial=initial)
        return render(request, self.template_name, {"form": form, "region": region, "current": current})

    def post(self, request, pk):
        region = self._region(request, pk)
        form = BiddingUpThresholdForm(request.POST)
        if form.is_valid():
            try:
                set_bidding_up_threshold(
                    region=region,
                    by=request.user,
                    percent=form.cleaned_data["rise_percent"],
                    pounds=form.cleaned_data["rise_pounds"],
                    both=form.cleaned_data["combine"] == "both",
                )
            except DashboardSettingError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, "The bidding-up threshold is saved.")
                return redirect("dashboards:bidding-region", pk=region.pk)
        current = bidding.threshold_for(region)
        return render(request, self.template_name, {"form": form, "region": region, "current": current}, status=400)
