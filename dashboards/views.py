"""Dashboards (DESIGN.md section 6): regional, borough and agency, built on accepted returns.

Every page is a list of *panels*: a chart, and a ``core.tables.Table`` of the same numbers that the page
shows and the CSV download (``?download=<panel>``) writes, so the three can never disagree. The figures come
from ``dashboards.figures``; which region, borough or agency a user may open is decided by the scoping
selectors, so another tenant's dashboard answers 404. Figures counted from assignment rows are read from the
per-return aggregates (``figures.aggregated``), so a page costs the same whatever the number of rows.
"""

from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views import View

from agencies.models import Agency
from boroughs.models import Region, SubRegion
from boroughs.selectors import boroughs_visible_to
from pledge_portal import access
from pledge_portal.access.views import ActionRequiredMixin, get_visible_or_404
from pledge_portal.core import charts
from pledge_portal.core.exports import table_csv
from pledge_portal.core.tables import Column, Table
from rates.models import RoleCategory
from returns.models import ReportingPeriod

from . import figures
from .cache import figure, once, one_version
from .figures import aggregated
from .selectors import agencies_with_dashboards, regions_visible_to

DEFAULT_QUARTERS = 4
TOP_AGENCIES = 15
AGENCIES_SHOWN = 30  # rows of the agencies table on the page; its CSV has every agency
# How the agencies table can be ordered: most rows, most rows over the cap, slowest reference turnaround.
AGENCY_RANKS = {
    "rows": ("rows", lambda a: (-a.assignments, -a.breaches, a.name)),
    "breaches": ("rows over the cap", lambda a: (-a.breaches, -a.assignments, a.name)),
    "turnaround": (
        "slowest reference turnaround",
        lambda a: (a.median_turnaround is None, -(a.median_turnaround or 0), -a.assignments, a.name),
    ),
}
DEFAULT_RANK = "rows"
SHARE_COLUMNS = [Column("Agency FTE", "fte"), Column("Permanent FTE", "fte"), Column("Agency share (%)", "percent")]
BREACH_COLUMNS = [
    Column("Rows", "count"),
    Column("Over the cap", "count"),
    Column("Signed off", "count"),
    Column("Not signed off", "count"),
]


@dataclass
class Panel:
    slug: str
    title: str
    table: Table  # its title is the table's caption; its rows are the CSV's
    chart: str = ""
    orders: list[tuple[str, str, bool]] = field(default_factory=list)  # (label, query string, current)
    csv_url: str = ""
    empty: str = ""  # said instead of the table when it has no rows


class Filters:
    """The GET form: a range of quarters, and (on the regional page) a sub-region; a core role everywhere."""

    def __init__(self, request, quarters: list[date], sub_regions: QuerySet[SubRegion] | None):
        self.quarters = quarters
        self.sub_regions = list(sub_regions) if sub_regions is not None else None
        self.roles = list(RoleCategory.objects.all())
        get = request.GET
        default_end = quarters[-1] if quarters else timezone.localdate().replace(day=1)
        default_start = (
            quarters[-DEFAULT_QUARTERS] if len(quarters) >= DEFAULT_QUARTERS else (quarters or [default_end])[0]
        )
        self.start = self._quarter(get.get("from"), default_start)
        self.end = self._quarter(get.get("to"), default_end)
        if self.start > self.end:
            self.start, self.end = self.end, self.start
        self.sub_region = next((s for s in self.sub_regions or [] if str(s.pk) == get.get("sub_region")), None)
        self.role = next((r for r in self.roles if r.code == get.get("role")), None)
        self.rank = get.get("rank") if get.get("rank") in AGENCY_RANKS else DEFAULT_RANK

    def _quarter(self, text: str | None, default: date) -> date:
        try:
            day = date.fromisoformat(text or "")
        except ValueError:
            return default
        return day if day in self.quarters else default

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(q.isoformat(), figures.quarter_label(q)) for q in self.quarters]

    def query(self, **extra) -> str:
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.sub_region:
            params["sub_region"] = self.sub_region.pk
        if self.role:
            params["role"] = self.role.code
        if self.rank != DEFAULT_RANK:
            params["rank"] = self.rank
        return urlencode({**params, **extra})

    def file_name(self, panel: str, subject: str) -> str:
        """A CSV's name: the panel, the scope and the period, like
        ``breaches-over-time_camden_2026-27-q1-to-2026-27-q2.csv``."""
        parts = [panel, slugify(subject)]
        if self.sub_region:
            parts.append(slugify(self.sub_region.name))
        if self.role:
            parts.append(self.role.code)
        start, end = (slugify(figures.quarter_label(q)) for q in (self.start, self.end))
        parts.append(start if start == end else f"{start}-to-{end}")
        return "_".join(parts) + ".csv"

    @property
    def drill_query(self) -> str:
        """The filters a borough's page keeps when reached from the region's: its quarters and role."""
        params = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.role:
            params["role"] = self.role.code
        return urlencode(params)

    @property
    def description(self) -> str:
        text = f"Accepted returns from {figures.quarter_label(self.start)} to {figures.quarter_label(self.end)}"
        if self.sub_region:
            text += f", {self.sub_region.name}"
        if self.role:
            text += f", {self.role.name} only"
        return text + "."


class DashboardView(ActionRequiredMixin, View):
    template_name = "dashboards/dashboard.html"

    def dispatch(self, request, *args, **kwargs):
        with one_version():
            return super().dispatch(request, *args, **kwargs)

    def respond(
        self,
        request,
        *,
        title: str,
        caption: str,
        filters: Filters,
        panels: list[Panel],
        back: str = "",
        subject: str,
        links: list[tuple[str, str]] = (),
    ):
        for panel in panels:
            panel.csv_url = "?" + filters.query(download=panel.slug)
        wanted = request.GET.get("download")
        if wanted:
            panel = next((p for p in panels if p.slug == wanted), None)
            if panel is None:
                raise Http404("There is no such download.")
            response = HttpResponse(table_csv(panel.table), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="{filters.file_name(panel.slug, subject)}"'
            return response
        context = {
            "title": title,
            "caption": caption,
            "filters": filters,
            "panels": panels,
            "back": back,
            "links": links,
        }
        return render(request, self.template_name, context)

    def panels_wanted(self, request) -> set[str] | None:
        """A download computes only its own panel's figures."""
        wanted = request.GET.get("download")
        return {wanted} if wanted else None


def _borough_link(borough_ids: list[int] | None, visible: set[int], query: str = "") -> str | None:
    """The borough's dashboard, with the quarters and role chosen on the region's (``Filters.drill_query``)."""
    if borough_ids and len(borough_ids) == 1 and borough_ids[0] in visible:
        url = once(_borough_url, borough_ids[0])  # a page links each borough from several tables
        return f"{url}?{query}" if query else url
    return None


def _borough_url(pk: int) -> str:
    return reverse("dashboards:borough", kwargs={"pk": pk})


def _region_quarters(region: Region) -> list[date]:
    return list(ReportingPeriod.objects.filter(region=region).order_by("starts_on").values_list("starts_on", flat=True))


# --- Panels shared by the pages ------------------------------------------------------------------------


def _coverage(scope: figures.Scope) -> tuple[dict[str, figures.Coverage], str]:
    """Each quarter's coverage by its label, and the note naming those below full coverage."""
    lines = once(figures.coverage_by_quarter, scope)
    return {c.label: c for c in lines}, figures.partial_note(lines)


def _coverage_text(coverage: dict[str, figures.Coverage], label: str) -> str:
    return coverage[label].text if label in coverage else ""


def coverage_panel(scope: figures.Scope) -> Panel:
    """How many of the expected reporting units each quarter's figures are built from."""
    lines = once(figures.coverage_by_quarter, scope)
    return Panel("coverage", "Coverage: who the figures are built from", figures.coverage_table(lines))


def share_over_time_panel(scope: figures.Scope, slug: str = "share-over-time") -> Panel:
    lines = figure(figures.agency_share_over_time, scope)
    coverage, note = _coverage(scope)
    chart = charts.line_chart(
        chart_id=slug,
        title="Agency share of the workforce by quarter",
        desc="Agency FTE as a percentage of agency and permanent FTE, per quarter. The table below gives the figures. "
        + (note or "Every quarter is built from all the units expected to report."),
        x_labels=[figures.marked(line.label, coverage.get(line.label)) for line in lines],
        series=[charts.Series("Agency share", [line.share for line in lines])],
        y_suffix="%",
    )
    return Panel(
        slug,
        "Agency share of the workforce over time",
        Table(
            "Agency and permanent FTE per quarter",
            [Column("Quarter"), *SHARE_COLUMNS, Column("Coverage")],
            [
                [line.label, line.agency_fte, line.permanent_fte, line.share, _coverage_text(coverage, line.label)]
                for line in lines
            ],
            note=note,
        ),
        chart,
    )


def pay_panel(scope: figures.Scope) -> Panel:
    lines = figure(aggregated.pay_rates_by_role, scope)
    chart = charts.range_chart(
        chart_id="pay",
        title="Hourly pay rates against caps by role",
        desc="For each role and cap basis: lower quartile, median and upper quartile of hourly pay, and the cap.",
        rows=[
            charts.Spread(
                line.label, line.lower_quartile, line.median, line.upper_quartile, line.cap, f"median £{line.median}"
            )
            for line in lines
        ],
        x_prefix="£",
    )
    on = f"{scope.end:%-d %B %Y}"
    return Panel(
        "pay",
        "Pay rates against caps by role",
        Table(
            f"Hourly pay rates (£) by role and cap basis; the cap is the one in force on {on}",
            [
                Column("Role"),
                Column("Cap basis"),
                Column("Rows", "count"),
                Column("Lower quartile (£)", "rate"),
                Column("Median (£)", "rate"),
                Column("Upper quartile (£)", "rate"),
                Column("Cap (£)", "rate"),
            ],
            [
                [
                    line.role,
                    figures.BASIS_LABELS[line.basis],
                    line.rows,
                    line.lower_quartile,
                    line.median,
                    line.upper_quartile,
                    line.cap,
                ]
                for line in lines
            ],
        ),
        chart,
    )


def breaches_over_time_panel(scope: figures.Scope) -> Panel:
    lines = figure(aggregated.breaches_over_time, scope)
    coverage, note = _coverage(scope)
    chart = charts.line_chart(
        chart_id="breaches-over-time",
        title="Rows over the cap by quarter",
        desc="Rows over the cap with and without a breach sign-off, per quarter. "
        + (note or "Every quarter is built from all the units expected to report."),
        x_labels=[figures.marked(line.label, coverage.get(line.label)) for line in lines],
        series=[
            charts.Series("Signed off", [line.signed_off for line in lines]),
            charts.Series("Not signed off", [line.without_sign_off for line in lines]),
        ],
    )
    return Panel(
        "breaches-over-time",
        "Breaches over time",
        Table(
            "Rows over the cap per quarter",
            [Column("Quarter"), *BREACH_COLUMNS, Column("Coverage")],
            [
                [
                    line.label,
                    line.rows,
                    line.breaches,
                    line.signed_off,
                    line.without_sign_off,
                    _coverage_text(coverage, line.label),
                ]
                for line in lines
            ],
            note=note,
        ),
        chart,
    )


def spend_panel(scope: figures.Scope) -> Panel:
    lines = figure(figures.monthly_spend, scope)
    coverage, note = _coverage(scope)
    quarter_of = {line.label: figures.quarter_label(figures.quarter_start(line.month)) for line in lines}
    chart = charts.line_chart(
        chart_id="spend",
        title="Agency spend by month",
        desc="Agency spend reported in accepted returns, per month, in pounds. "
        + (note.replace("Quarters marked", "Months of quarters marked") if note else ""),
        x_labels=[figures.marked(line.label, coverage.get(quarter_of[line.label])) for line in lines],
        series=[charts.Series("Spend", [line.spend for line in lines])],
        y_prefix="£",
    )
    return Panel(
        "spend",
        "Agency spend",
        Table(
            "Agency spend per month (£), from accepted returns (spend is not reported by role)",
            [Column("Month"), Column("Spend (£)", "money"), Column("Returns reporting", "count"), Column("Coverage")],
            [
                [line.label, line.spend, line.returns, _coverage_text(coverage, quarter_of[line.label])]
                for line in lines
            ],
            note=note,
        ),
        chart,
    )


def comparison_panel(scope: figures.Scope) -> Panel:
    """The last quarter chosen against the one before, on the units with an accepted return for both."""
    latest = replace(scope, start=scope.end)
    comparison = figure(aggregated.compare_quarters, latest, figures.previous_quarter(scope.end))
    return Panel(
        "quarter-comparison",
        "Against the previous quarter",
        figures.comparison_table(
            [comparison], title=f"{comparison.current.label} against {comparison.other.label}, on the same units"
        ),
        empty=comparison.basis,
    )


# --- Pages ---------------------------------------------------------------------------------------------


class IndexView(ActionRequiredMixin, View):
    """The dashboards a user may open: their region's, their boroughs', their agency's."""

    action_required = "dashboard.index"

    def get(self, request):
        user = request.user
        regions = list(regions_visible_to(user))
        # Everyone's boroughs are reached from a region's page, not listed here all at once.
        boroughs = [] if access.everywhere(user, "dashboard.borough") else list(boroughs_visible_to(user))
        agencies = list(access.own(user, "dashboard.agency", Agency.objects.order_by("name")))
        context = {"regions": regions, "boroughs": boroughs, "agencies": agencies}
        return render(request, "dashboards/index.html", context)


class RegionDashboardView(DashboardView):
    """Regional analysts and steering group members of the region, and platform admins."""

    action_required = "dashboard.region"

    def get(self, request, pk):
        region = get_visible_or_404(regions_visible_to, request.user, pk=pk)
        filters = Filters(request, _region_quarters(region), SubRegion.objects.filter(region=region))
        scope = figures.Scope(
            filters.start, filters.end, region=region, sub_region=filters.sub_region, role=filters.role
        )
        wanted = self.panels_wanted(request)
        visible = set(boroughs_visible_to(request.user).filter(region=region).values_list("pk", flat=True))
        self.drill = filters.drill_query
        builders = {
            "coverage": lambda: coverage_panel(scope),
            "completeness": lambda: self.completeness_panel(region, filters, visible),
            "quarter-comparison": lambda: comparison_panel(scope),
            "share": lambda: self.share_panel(scope, visible),
            "share-over-time": lambda: share_over_time_panel(scope),
            "pay": lambda: pay_panel(scope),
            "breaches": lambda: self.breaches_panel(scope, visible),
            "breaches-over-time": lambda: breaches_over_time_panel(scope),
            "flags": lambda: self.flags_panel(scope, visible),
            "spend": lambda: spend_panel(scope),
            "agencies": lambda: self.agencies_panel(scope, filters),
        }
        panels = [build() for slug, build in builders.items() if wanted is None or slug in wanted]
        links = []
        if access.can(request.user, "bidding_up.region", region):
            url = reverse("dashboards:bidding-region", kwargs={"pk": region.pk})
            links.append(("Signs of bidding up: workers' rates rising between assignments", f"{url}?{self.drill}"))
        if access.can(request.user, "referee_contacts.read", region):
            links.append(
                (
                    "Shared referee contacts: one referee vouching for different candidates",
                    reverse("references:shared-contacts", kwargs={"pk": region.pk}),
                )
            )
        return self.respond(
            request,
            title=f"{region.name} dashboard",
            caption=region.name,
            filters=filters,
            panels=panels,
            subject=region.name,
            links=links,
        )

    def completeness_panel(self, region, filters: Filters, visible: set[int]) -> Panel:
        period = ReportingPeriod.objects.filter(region=region, starts_on=filters.end).first()
        if period is None:
            return Panel("completeness", "Submission completeness", Table("No reporting period", [], []))
        lines = figures.completeness(period, today=timezone.localdate(), sub_region=filters.sub_region)
        by_status: dict[str, int] = {}
        for line in lines:
            by_status[line.status] = by_status.get(line.status, 0) + 1
        chart = charts.bar_chart(
            chart_id="completeness",
            title=f"Returns by status, {period.label}",
            desc="How many reporting units' returns are at each status.",
            bars=[charts.Bar(status, n) for status, n in by_status.items()],
        )
        return Panel(
            "completeness",
            f"Submission completeness, {figures.quarter_label(period.starts_on)}",
            Table(
                f"Each reporting unit's return for {period.label} (every status, not only accepted)",
                [Column("Reporting unit"), Column("Status"), Column("Late", "yesno")],
                [[line.unit, line.status, line.late] for line in lines],
                links=[_borough_link(line.borough_ids, visible, self.drill) for line in lines],
            ),
            chart,
        )

    def share_panel(self, scope, visible: set[int]) -> Panel:
        lines = figure(figures.agency_share_by_unit, scope)
        chart = charts.bar_chart(
            chart_id="share",
            title="Agency share of the workforce by reporting unit",
            desc="Agency FTE as a percentage of agency and permanent FTE over the quarters chosen.",
            bars=[
                charts.Bar(line.label, line.share, f"{line.share}%" if line.share is not None else "") for line in lines
            ],
        )
        return Panel(
            "share",
            "Agency share of the workforce by borough",
            Table(
                "Agency and permanent FTE by reporting unit, summed over the quarters chosen",
                [Column("Reporting unit"), *SHARE_COLUMNS],
                [[line.label, line.agency_fte, line.permanent_fte, line.share] for line in lines],
                links=[_borough_link(line.borough_ids, visible, self.drill) for line in lines],
            ),
            chart,
        )

    def breaches_panel(self, scope, visible: set[int]) -> Panel:
        lines = figure(aggregated.breaches_by_borough, scope)
        chart = charts.bar_chart(
            chart_id="breaches",
            title="Rows over the cap by borough",
            desc="Rows over the cap per borough, with how many have a breach sign-off written beside each bar.",
            bars=[
                charts.Bar(line.label, line.breaches, f"{line.breaches} ({line.signed_off} signed off)")
                for line in lines
            ],
        )
        return Panel(
            "breaches",
            "Breaches and their sign-offs",
            Table(
                "Rows over the cap by borough",
                [Column("Borough"), *BREACH_COLUMNS],
                [[line.label, line.rows, line.breaches, line.signed_off, line.without_sign_off] for line in lines],
                links=[_borough_link([line.borough_id], visible, self.drill) for line in lines],
            ),
            chart,
        )

    def flags_panel(self, scope, visible: set[int]) -> Panel:
        lines = figure(aggregated.flags_by_borough, scope)
        chart = charts.bar_chart(
            chart_id="flags",
            title="Flagged rows in the region",
            desc="Rows flagged by validation, by kind of flag, across the boroughs shown in the table.",
            bars=[
                charts.Bar(label, sum(getattr(line, name) for line in lines))
                for name, label in figures.FLAG_LABELS.items()
            ],
        )
        return Panel(
            "flags",
            "Cool-off, PQE and overlap flags",
            Table(
                "Rows flagged by the latest validation of each accepted return, by borough",
                [
                    Column("Borough"),
                    Column("Cool-off", "count"),
                    Column("PQE under 3 years", "count"),
                    Column("Overlapping", "count"),
                ],
                [[line.label, line.cool_off, line.low_pqe, line.overlap] for line in lines],
                links=[_borough_link([line.borough_id], visible, self.drill) for line in lines],
            ),
            chart,
        )

    def agencies_panel(self, scope, filters: Filters) -> Panel:
        label, key = AGENCY_RANKS[filters.rank]
        lines = sorted(figure(aggregated.agencies_ranked, scope), key=key)
        if filters.rank == "turnaround":
            bars = [charts.Bar(a.name, a.median_turnaround, f"{a.median_turnaround} working days") for a in lines]
        elif filters.rank == "breaches":
            bars = [charts.Bar(a.name, a.breaches, f"{a.breaches} of {a.assignments} rows") for a in lines]
        else:
            bars = [charts.Bar(a.name, a.assignments, f"{a.assignments} ({a.breaches} over the cap)") for a in lines]
        chart = charts.bar_chart(
            chart_id="agencies",
            title=f"The {TOP_AGENCIES} agencies with the most {label}",
            desc=f"Agencies ordered by {label}, with the figure written beside each bar.",
            bars=[bar for bar in bars if bar.value is not None][:TOP_AGENCIES],
        )
        orders = [
            (text, "?" + filters.query(rank=rank) + "#panel-agencies", rank == filters.rank)
            for rank, (text, _) in AGENCY_RANKS.items()
        ]
        return Panel(
            "agencies",
            "Agencies by assignments, breaches and reference turnaround",
            Table(
                f"Agencies by {label}, with breaches and reference turnaround (working days)",
                [
                    Column("Agency"),
                    Column("Rows", "count"),
                    Column("Over the cap", "count"),
                    Column("Signed off", "count"),
                    Column("References completed", "count"),
                    Column("Median turnaround (working days)", "days"),
                ],
                [
                    [
                        line.name,
                        line.assignments,
                        line.breaches,
                        line.signed_off,
                        line.references_completed,
                        line.median_turnaround,
                    ]
                    for line in lines
                ],
                shown=AGENCIES_SHOWN,
            ),
            chart,
            orders=orders,
        )


class BoroughDashboardView(DashboardView):
    """The borough's own users, its MSP's users, regional roles of its region and platform admins."""

    action_required = "dashboard.borough"

    def get(self, request, pk):
        borough = get_visible_or_404(boroughs_visible_to, request.user, pk=pk)
        filters = Filters(request, _region_quarters(borough.region), None)
        region_scope = figures.Scope(filters.start, filters.end, region=borough.region, role=filters.role)
        own = figures.Scope(filters.start, filters.end, region=borough.region, borough=borough, role=filters.role)
        wanted = self.panels_wanted(request)
        builders = {
            "coverage": lambda: coverage_panel(own),
            "quarter-comparison": lambda: comparison_panel(own),
            "comparison": lambda: self.comparison_panel(region_scope, borough),
            "share-over-time": lambda: share_over_time_panel(own),
            "pay": lambda: pay_panel(own),
            "breaches-over-time": lambda: breaches_over_time_panel(own),
            "spend": lambda: spend_panel(own),
        }
        panels = [build() for slug, build in builders.items() if wanted is None or slug in wanted]
        back = ""
        if access.can(request.user, "dashboard.region", borough.region):
            back = reverse("dashboards:region", kwargs={"pk": borough.region_id}) + "?" + filters.drill_query
        links = []
        if access.can(request.user, "bidding_up.borough", borough):
            url = reverse("dashboards:bidding-borough", kwargs={"pk": borough.pk})
            links.append(("Rises in pay between a worker's assignments", f"{url}?{filters.drill_query}"))
        return self.respond(
            request,
            title=f"{borough.name} dashboard",
            caption=borough.region.name,
            filters=filters,
            panels=panels,
            back=back,
            subject=borough.name,
            links=links,
        )

    def comparison_panel(self, scope, borough) -> Panel:
        lines = figure(aggregated.borough_comparison, scope, borough)
        return Panel(
            "comparison",
            "Against the region",
            Table(
                f"{borough.name} beside the median borough of its sub-region and region",
                [Column("Measure"), Column(borough.name), Column("Sub-region median"), Column("Region median")],
                [[c.measure, c.own, c.sub_region, c.region] for c in lines],
                note=f"Other boroughs are shown only as medians, when at least {figures.SMALL_COUNT} boroughs have "
                f"the figure; median counts under {figures.SMALL_COUNT} are shown as “fewer than "
                f"{figures.SMALL_COUNT}”.",
            ),
        )


class AgencyDashboardView(DashboardView):
    """An agency's own users (and platform admins): its rows across boroughs, its breaches and references."""

    action_required = "dashboard.agency"

    def get(self, request, pk):
        agency = get_visible_or_404(agencies_with_dashboards, request.user, pk=pk)
        quarters = sorted(set(ReportingPeriod.objects.values_list("starts_on", flat=True)))
        filters = Filters(request, quarters, None)
        scope = figures.Scope(filters.start, filters.end, agency=agency, role=filters.role)
        wanted = self.panels_wanted(request)
        builders = {
            "coverage": lambda: coverage_panel(scope),
            "boroughs": lambda: self.boroughs_panel(scope),
            "breaches-over-time": lambda: breaches_over_time_panel(scope),
            "references": lambda: self.references_panel(scope),
        }
        panels = [build() for slug, build in builders.items() if wanted is None or slug in wanted]
        return self.respond(
            request,
            title=f"{agency.name} dashboard",
            caption="Agency",
            filters=filters,
            panels=panels,
            subject=agency.name,
        )

    def boroughs_panel(self, scope) -> Panel:
        lines = figure(aggregated.agency_by_borough, scope)
        chart = charts.bar_chart(
            chart_id="boroughs",
            title="Your rows by borough",
            desc="Rows in boroughs' accepted returns naming your agency, with rows over the cap beside each bar.",
            bars=[charts.Bar(line.borough, line.rows, f"{line.rows} ({line.breaches} over the cap)") for line in lines],
        )
        return Panel(
            "boroughs",
            "Assignments across boroughs",
            Table(
                "Rows naming your agency in accepted returns, by borough",
                [Column("Borough"), Column("Region"), *BREACH_COLUMNS],
                [
                    [
                        line.borough,
                        line.region,
                        line.rows,
                        line.breaches,
                        line.signed_off,
                        line.breaches - line.signed_off,
                    ]
                    for line in lines
                ],
            ),
            chart,
        )

    def references_panel(self, scope) -> Panel:
        lines = figure(figures.agency_reference_requests, scope)
        totals: dict[str, int] = {}
        for line in lines:
            totals[line.status] = totals.get(line.status, 0) + line.requested
        chart = charts.bar_chart(
            chart_id="references",
            title="Your reference requests by status",
            desc="Reference requests your agency made in the quarters chosen, by status.",
            bars=[charts.Bar(status, n) for status, n in totals.items()],
        )
        return Panel(
            "references",
            "Reference requests and turnaround",
            Table(
                "Reference requests made in the quarters chosen, by borough and status",
                [
                    Column("Borough"),
                    Column("Status"),
                    Column("Requests", "count"),
                    Column("Median turnaround (working days)", "days"),
                ],
                [[line.borough, line.status, line.requested, line.median_turnaround] for line in lines],
            ),
            chart,
        )
