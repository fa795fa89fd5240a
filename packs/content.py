"""What a compliance pack says (DESIGN.md section 6), as plain data that the PDF and the workbook both
write, so the two files, the dashboards and their CSVs all show the same numbers from ``dashboards.figures``.

``regional_pack(period)`` is the steering group's pack: a summary with the trend over the previous four
quarters, a scorecard per borough and per agency, the breach register, the cool-off register and a method
note. ``borough_pack(period, borough)`` holds the borough's own figures, its scorecard against the region
(other boroughs only as medians, small counts suppressed, as on the borough dashboard), its agencies and its
own registers. Nothing here checks permissions: the services decide who may build and download a pack.

Each table is a ``core.tables.Table``: raw values and a *kind* per column (count, money, percent...), which
the PDF formats for reading and the workbook stores as numbers with a number format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.safestring import SafeString

from boroughs.models import Borough
from dashboards import figures
from pledge_portal.core import charts
from pledge_portal.core.tables import Column, Table
from returns.models import ReportingPeriod

TREND_QUARTERS = 4  # quarters before the pack's own, in the summary's trend
TOP = 15  # bars in the charts of boroughs and agencies
CHART_WIDTH = 640  # CSS pixels: 169 mm, inside an A4 page's margins


@dataclass
class Section:
    slug: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[SafeString] = field(default_factory=list)
    wide: bool = False  # printed on landscape pages
    compact: bool = False  # set small, to fit one page


@dataclass
class Pack:
    title: str
    subject: str  # the region, or the borough
    region: str
    quarter: str
    period_label: str
    generated_at: datetime
    data_version: str
    sections: list[Section]
    coverage: figures.Coverage | None = None  # of the pack's own quarter
    provisional: bool = False  # built before the period locked
    summary: dict = field(default_factory=dict)  # the figures stored with the pack (``CompliancePack.summary``)

    @property
    def coverage_text(self) -> str:
        """The pack's coverage in a sentence, for its cover, summary, README and email."""
        return coverage_sentence(self.coverage, self.quarter)

    @property
    def provisional_text(self) -> str:
        return PROVISIONAL if self.provisional else ""

    def tables(self) -> list[tuple[Section, Table]]:
        return [(section, table) for section in self.sections for table in section.tables]


Progress = Callable[[int, str], None]

PROVISIONAL = "Provisional: built before the period locked, so returns may still change"


def coverage_sentence(coverage: figures.Coverage | None, quarter: str) -> str:
    if coverage is None:
        return f"No reporting period for {quarter}."
    text = f"Coverage: built from {coverage.text} expected to report for {quarter} (accepted returns)."
    if not coverage.full:
        text += " Not every expected unit is in: a change between quarters may be a change in who reported."
    return text


def _quiet(percent: int, message: str) -> None:
    pass


# --- Sections shared by both packs ----------------------------------------------------------------------


def _trend(
    scope: figures.Scope, coverage: list[figures.Coverage], *, chart_prefix: str
) -> tuple[list[Table], list[SafeString]]:
    """The pack's quarter and the four before it: workforce and spend, then rows, breaches and flags, each
    quarter with its coverage."""
    covered = {c.label: c for c in coverage}
    note = figures.partial_note(coverage)
    share = {line.label: line for line in figures.agency_share_over_time(scope)}
    breaches = {line.label: line for line in figures.breaches_over_time(scope)}
    flags = {line.label: line for line in figures.flags_over_time(scope)}
    spend: dict[str, Decimal] = {}
    for line in figures.monthly_spend(scope):
        label = figures.quarter_label(figures.quarter_start(line.month))
        spend[label] = spend.get(label, Decimal(0)) + line.spend
    quarters = []
    day = scope.start
    while day <= scope.end:
        quarters.append(figures.quarter_label(day))
        day = figures.shift_quarters(day, 1)
    workforce = Table(
        "Workforce and spend by quarter",
        [
            Column("Quarter"),
            Column("Agency FTE", "fte"),
            Column("Permanent FTE", "fte"),
            Column("Agency share", "percent"),
            Column("Agency spend", "money"),
            Column("Coverage"),
        ],
        [
            [
                q,
                share[q].agency_fte if q in share else None,
                share[q].permanent_fte if q in share else None,
                share[q].share if q in share else None,
                spend.get(q),
                covered[q].text if q in covered else "no period",
            ]
            for q in quarters
        ],
        note=f"From accepted returns. Agency share is agency FTE over agency and permanent FTE. {note}".strip(),
        sheet="Summary",
    )
    empty_flags = figures.FlagLine("")
    compliance = Table(
        "Assignments, breaches and flags by quarter",
        [
            Column("Quarter"),
            Column("Rows", "count"),
            Column("Within the cap", "count"),
            Column("Over the cap", "count"),
            Column("Signed off", "count"),
            Column("Not signed off", "count"),
            Column("Cool-off flags", "count"),
            Column("PQE under 3 years", "count"),
            Column("Overlapping", "count"),
            Column("Coverage"),
        ],
        [
            [
                q,
                b.rows,
                b.rows - b.breaches,
                b.breaches,
                b.signed_off,
                b.without_sign_off,
                f.cool_off,
                f.low_pqe,
                f.overlap,
                covered[q].text if q in covered else "no period",
            ]
            for q in quarters
            for b in [breaches.get(q, figures.BreachLine(q, 0, 0, 0))]
            for f in [flags.get(q, empty_flags)]
        ],
        note="A row is one assignment active in the quarter. Flags are rows flagged by the latest check. " + note,
        sheet="Summary compliance",
    )
    share_chart = charts.line_chart(
        chart_id=f"{chart_prefix}-share",
        title="Agency share of the workforce by quarter",
        desc="Agency FTE as a percentage of agency and permanent FTE, per quarter. The table gives the figures.",
        x_labels=[figures.marked(q, covered.get(q)) for q in quarters],
        series=[charts.Series("Agency share", [row[3] for row in workforce.rows])],
        y_suffix="%",
        height=240,
        width=CHART_WIDTH,
    )
    breach_chart = charts.line_chart(
        chart_id=f"{chart_prefix}-breaches",
        title="Rows over the cap by quarter",
        desc="Rows over the cap with and without a breach sign-off, per quarter. The table gives the figures.",
        x_labels=[figures.marked(q, covered.get(q)) for q in quarters],
        series=[
            charts.Series("Signed off", [row[4] for row in compliance.rows]),
            charts.Series("Not signed off", [row[5] for row in compliance.rows]),
        ],
        height=240,
        width=CHART_WIDTH,
    )
    return [workforce, compliance], [share_chart, breach_chart]


SCORECARD_COLUMNS = [
    Column("Borough"),
    Column("Return"),
    Column("First submitted", "date"),
    Column("On time", "yesno"),
    Column("Rows", "count"),
    Column("Within the cap", "count"),
    Column("Over the cap", "count"),
    Column("Signed off", "count"),
    Column("Not signed off", "count"),
    Column("Cool-off flags", "count"),
    Column("PQE under 3 years", "count"),
    Column("Agency share", "percent"),
    Column("References answered", "count"),
    Column("Median turnaround (working days)", "days"),
]


def _scorecard_row(card: figures.BoroughScorecard) -> list:
    submitted = timezone.localtime(card.first_submitted).date() if card.first_submitted else None
    return [
        card.borough,
        card.status,
        submitted,
        card.on_time,
        card.rows,
        card.within_cap,
        card.breaches,
        card.signed_off,
        card.without_sign_off,
        card.cool_off,
        card.low_pqe,
        card.share,
        card.references_completed,
        card.median_turnaround,
    ]


def _agencies(scope: figures.Scope, *, chart_id: str) -> Section:
    lines = figures.agencies_ranked(scope)
    chart = charts.bar_chart(
        chart_id=chart_id,
        title=f"The {TOP} agencies with most rows",
        desc="Rows per agency, most first, with rows over the cap written beside each bar.",
        bars=[
            charts.Bar(line.name, line.assignments, f"{line.assignments} ({line.breaches} over the cap)")
            for line in lines[:TOP]
        ],
        width=CHART_WIDTH,
    )
    table = Table(
        "Agencies by rows, with breaches and reference turnaround",
        [
            Column("Agency"),
            Column("Rows", "count"),
            Column("Over the cap", "count"),
            Column("Signed off", "count"),
            Column("Not signed off", "count"),
            Column("References completed", "count"),
            Column("Median turnaround (working days)", "days"),
        ],
        [
            [
                line.name,
                line.assignments,
                line.breaches,
                line.signed_off,
                line.breaches - line.signed_off,
                line.references_completed,
                line.median_turnaround,
            ]
            for line in lines
        ],
        note="References completed are those the agency requested in the quarter; turnaround is from request "
        "to completion.",
        empty="No agency is named in an accepted return for the quarter.",
        sheet="Agency scorecards",
    )
    return Section(
        "agencies",
        "Agency scorecards",
        ["Each agency named in accepted returns for the quarter, most rows first."],
        [table],
        [chart] if lines else [],
    )


def _breach_register(scope: figures.Scope) -> Section:
    entries = figures.breach_register(scope)
    table = Table(
        "Rows that break a rule, with who agreed, when and why",
        [
            Column("Borough"),
            Column("Row", "count"),
            Column("Registration number"),
            Column("Agency"),
            Column("Start date", "date"),
            Column("Rule broken"),
            Column("Hourly pay", "rate"),
            Column("Cap", "rate"),
            Column("Over by", "rate"),
            Column("Over by (%)", "percent"),
            Column("Agreed by (DCS)"),
            Column("Job title"),
            Column("Chief Executive"),
            Column("Agreed on", "date"),
            Column("Reason"),
        ],
        [
            [
                e.borough,
                e.row,
                e.registration_number,
                e.agency,
                e.start_date,
                e.rule if e.rule_code == "RATE-001" else f"{e.rule}: {e.breach}",
                e.hourly_pay_rate if e.rule_code == "RATE-001" else None,
                e.cap,
                e.excess,
                e.excess_percent,
                e.signed_off_by or "Not agreed",
                e.signed_off_by_title,
                e.chief_executive,
                e.signed_off_on,
                e.reason,
            ]
            for e in entries
        ],
        empty="No row in an accepted return breaks the cap or the PQE rule.",
        sheet="Breach register",
    )
    over = [e for e in entries if e.rule_code == "RATE-001"]
    unsigned = sum(1 for e in over if e.signed_off_on is None)
    pqe = len(entries) - len(over)
    return Section(
        "breaches",
        "Breach register",
        [
            f"{len(over)} row{'s' if len(over) != 1 else ''} over the cap (RATE-001), {unsigned} without a sign-off; "
            f"{pqe} locum{'s' if pqe != 1 else ''} under 3 years' post-qualifying experience engaged with the "
            "agreement of the Director of Children's Services and the Chief Executive (PQE-002). The cap is the one "
            "in force on the row's start date for its role and engagement type. Each row names who agreed (the "
            "DCS by name and job title, and the Chief Executive), when they agreed and the reason they gave."
        ],
        [table],
        wide=True,
    )


def _cool_off_register(scope: figures.Scope) -> Section:
    entries = figures.cool_off_register(scope)
    table = Table(
        "Rows flagged for the cool-off, with the borough's explanation",
        [
            Column("Borough"),
            Column("Row", "count"),
            Column("Registration number"),
            Column("Agency"),
            Column("Start date", "date"),
            Column("Previous employer"),
            Column("Left on", "date"),
            Column("Check"),
            Column("Borough's explanation"),
        ],
        [
            [
                e.borough,
                e.row,
                e.registration_number,
                e.agency,
                e.start_date,
                e.previous_employer,
                e.left_previous_on,
                f"{e.rule_code} {figures.COOL_OFF_RULES.get(e.rule_code, '')}".strip(),
                e.explanation or "No explanation given",
            ]
            for e in entries
        ],
        empty="No row in an accepted return is flagged for the cool-off.",
        sheet="Cool-off register",
    )
    return Section(
        "cool-off",
        "Cool-off register",
        [
            "Agency starts within the Pledge's cool-off after leaving a permanent post with another borough of the "
            "region, or within the DfE's (COOL-001); rows whose leaving date is missing (COOL-002); and starts within "
            "the DfE's cool-off after leaving the same borough (COOL-003); and the same two kinds of start found "
            "by the leavers register whatever the row declared (COOL-004 another borough, COOL-005 the same one), "
            "from the latest check of each accepted return, each with the explanation the borough gave when it "
            "submitted."
        ],
        [table],
        wide=True,
    )


def _method(period: ReportingPeriod, data_version: str, *, borough: Borough | None) -> Section:
    paragraphs = [
        f"Figures are read from accepted returns for {period.label} and, for the trend, the "
        f"{TREND_QUARTERS} quarters before it. Returns not yet accepted count only in the submission figures.",
        "A return lists every assignment active in its quarter, so an assignment running for three quarters is "
        "three rows. A row counts under its local role's core role where it has one.",
        "A breach is a row whose hourly pay is above the cap in force on its start date, on its region's rate "
        "card, for its role and engagement type (the inclusive cap for umbrella and limited-company workers, "
        "the PAYE cap for PAYE).",
        "Cool-off, PQE and overlap flags are the findings of the latest check of each accepted return; a row "
        "counts once per kind of flag.",
        "A return is on time when it was first submitted on or before the deadline "
        f"({period.deadline:%-d %B %Y}); a return sent back and submitted again keeps its first date.",
        "Reference turnaround is the median number of working days (England bank holidays excluded) from a "
        "request made in the quarter to its completion.",
        "Coverage: a reporting unit is expected to report when one of its boroughs signed the Pledge (the City of "
        "London may report, but need not). Each quarter says how many expected units its figures are built from "
        "(those with an accepted return); quarters below full coverage are marked * on the charts. Quarters are "
        "compared on the units with an accepted return for both.",
        "A pack built before the period locks is provisional, and says so on every page: returns can still be "
        f"sent back and changed until {period.locks_on:%-d %B %Y} (or until an analyst locks the period).",
        "The dashboards and their CSV downloads use the same figures, so they agree with this pack.",
        f"Data version {data_version}: a pack asked for again is rebuilt only when this changes.",
    ]
    if borough is not None:
        paragraphs.insert(
            4,
            f"Other boroughs appear only as medians, and only where at least {figures.SMALL_COUNT} boroughs have "
            f"the figure; median counts under {figures.SMALL_COUNT} are shown as “fewer than "
            f"{figures.SMALL_COUNT}”.",
        )
    return Section("method", "Method note", paragraphs)


def _headline(lines: list[figures.SubmissionLine]) -> str:
    accepted = sum(1 for line in lines if line.status == "Accepted")
    on_time = sum(1 for line in lines if line.on_time)
    late = sum(1 for line in lines if line.on_time is False)
    waiting = sum(1 for line in lines if line.status in ("Not started", "Draft"))
    undated = sum(1 for line in lines if line.on_time is None and line.status not in ("Not started", "Draft"))
    text = (
        f"{accepted} of {len(lines)} reporting unit{'s' if len(lines) != 1 else ''}' returns accepted; "
        f"{on_time} submitted on time, {late} late and {waiting} not yet submitted"
    )
    return text + (f" ({undated} with no submission date recorded)." if undated else ".")


# --- Key messages: the page a steering group reads first ----------------------------------------------


def _stored(value) -> str | None:
    return None if value is None else str(value)


def _stored_summary(own, provisional: bool, now: figures.Headline, rag: list[figures.RagLine]) -> dict:
    """What the pack keeps (``CompliancePack.summary``), so the next version can say what changed."""
    return {
        "coverage": {
            "text": own.text if own else "",
            "built_from": own.built_from if own else 0,
            "expected": len(own.expected) if own else 0,
            "full": own.full if own else False,
        },
        "provisional": provisional,
        "headline": {attr: _stored(getattr(now, attr)) for attr, _, _ in figures.HEADLINE_MEASURES},
        "rag": {line.borough: line.overall for line in rag},
    }


def _changes(summary: dict, previous: tuple[int, dict] | None) -> list[str]:
    """What changed since the last pack of the period, from the figures each kept."""
    if previous is None:
        return ["This is the first pack for this period."]
    version, before = previous
    if not before.get("headline"):
        return [
            f"Version {version} of this pack kept no figures to compare with; from this version on, each says "
            "what changed since the one before."
        ]
    changes = []
    old, new = before.get("coverage", {}), summary["coverage"]
    if old.get("text") != new["text"]:
        changes.append(f"Coverage: {old.get('text') or 'none'} in version {version}, now {new['text']}.")
    if before.get("provisional") and not summary["provisional"]:
        changes.append("The period has locked: this version is final.")
    for attr, label, _ in figures.HEADLINE_MEASURES:
        then, now = before["headline"].get(attr), summary["headline"][attr]
        if then != now:
            changes.append(f"{label}: {then or 'no figure'} in version {version}, now {now or 'no figure'}.")
    for borough, grade in summary["rag"].items():
        was = before.get("rag", {}).get(borough)
        if was is not None and was != grade:
            changes.append(f"{borough}: {was} in version {version}, now {grade}.")
    return changes or [f"No figure has changed since version {version}."]


def _rag_table(lines: list[figures.RagLine], thresholds: list[figures.Threshold]) -> Table:
    def cell(line, t) -> str:
        value = line.values[t.measure]
        grade = line.grades[t.measure]
        return grade if value is None else f"{grade} {value}{'%' if t.measure in PERCENT_MEASURES else ''}"

    ordered = sorted(lines, key=lambda line: (figures.rag.ORDER[line.overall], line.borough))
    return Table(
        "Red, amber and green by borough on the Pledge's measures (worst first)",
        [Column("Borough"), Column("Overall"), *[Column(t.short) for t in thresholds]],
        [[line.borough, line.overall, *[cell(line, t) for t in thresholds]] for line in ordered],
        note="Each borough's worst measure gives its overall grade. The thresholds are in the method note.",
        sheet="RAG by borough",
    )


PERCENT_MEASURES = {"breach_rate", "agency_share"}
NAMED = 6  # red boroughs named in the key messages' sentence; more are read from the table below it


def _key_messages(
    period: ReportingPeriod,
    scope: figures.Scope,
    *,
    own,
    provisional: bool,
    rag: list[figures.RagLine],
    thresholds: list[figures.Threshold],
    summary: dict,
    previous: tuple[int, dict] | None,
) -> Section:
    quarter = figures.quarter_label(period.starts_on)
    comparisons = [
        figures.compare_quarters(scope, figures.previous_quarter(period.starts_on)),
        figures.compare_quarters(scope, figures.year_before(period.starts_on)),
    ]
    paragraphs = [coverage_sentence(own, quarter)]
    if provisional:
        paragraphs.insert(0, PROVISIONAL + ".")
    reds = [line.borough for line in rag if line.overall == figures.rag.RED]
    ambers = [line.borough for line in rag if line.overall == figures.rag.AMBER]
    if len(rag) > 1:
        paragraphs.append(
            f"{len(reds)} borough{'s' if len(reds) != 1 else ''} red"
            + (f" ({', '.join(reds)})" if 0 < len(reds) <= NAMED else "")
            + f", {len(ambers)} amber, {sum(1 for line in rag if line.overall == figures.rag.GREEN)} green and "
            f"{sum(1 for line in rag if line.overall == figures.rag.NONE)} with no accepted return."
        )
    changes = _changes(summary, previous)
    paragraphs.append("Since the last pack: " + " ".join(changes))
    return Section(
        "key-messages",
        "Key messages",
        paragraphs,
        [
            figures.comparison_table(
                comparisons,
                title=f"{quarter} against the previous quarter and the same quarter last year, on the same units",
                sheet="Key messages",
            ),
            _rag_table(rag, thresholds),
        ],
        compact=True,
    )


# --- The packs ------------------------------------------------------------------------------------------


def _summary(
    trend_scope: figures.Scope,
    coverage: list[figures.Coverage],
    submissions: list[figures.SubmissionLine],
    quarter: str,
    provisional: bool,
) -> Section:
    tables, trend_charts = _trend(trend_scope, coverage, chart_prefix="chart-summary")
    own = next((c for c in coverage if c.quarter == trend_scope.end), None)
    paragraphs = [coverage_sentence(own, quarter), _headline(submissions)]
    if provisional:
        paragraphs.insert(0, PROVISIONAL + ".")
    paragraphs.append(
        f"The last row of each table is {quarter}; the rows above are the quarters before. A quarter's figures "
        "are read from the units that reported for it: see each row's coverage."
    )
    return Section(
        "summary",
        "Summary",
        paragraphs,
        [*tables, figures.coverage_table(coverage)],
        trend_charts,
    )


def _pack(
    period: ReportingPeriod,
    *,
    borough: Borough | None,
    data_version: str,
    progress: Progress,
    scorecards: Callable[[figures.Scope, str], Section],
    previous: tuple[int, dict] | None = None,
) -> Pack:
    """The sections every pack has, around its scorecards: summary first; agencies, the registers and the
    method note after."""
    region = period.region
    scope = figures.Scope(period.starts_on, period.starts_on, region=region, borough=borough)
    trend = figures.Scope(
        figures.shift_quarters(period.starts_on, -TREND_QUARTERS), period.starts_on, region=region, borough=borough
    )
    quarter = figures.quarter_label(period.starts_on)
    progress(5, "Summary and trend")
    submissions = [s for s in figures.submission_timeliness(period) if borough is None or borough.pk in s.borough_ids]
    coverage = figures.coverage_by_quarter(trend)
    own = next((c for c in coverage if c.quarter == period.starts_on), None)
    provisional = not period.is_locked(timezone.localdate())
    summary = _summary(trend, coverage, submissions, quarter, provisional)
    progress(20, "Scorecards")
    cards = scorecards(scope, quarter)
    progress(35, "Agency scorecards")
    agencies = _agencies(scope, chart_id="chart-agencies")
    progress(50, "Breach register")
    breaches = _breach_register(scope)
    progress(60, "Cool-off register")
    cool_off = _cool_off_register(scope)
    progress(65, "Key messages")
    thresholds = figures.thresholds_for(region)
    rag = [
        line for line in figures.rag_by_borough(period, thresholds) if borough is None or line.borough_id == borough.pk
    ]
    now = figures.headlines(scope).get(period.starts_on, figures.Headline())
    stored = _stored_summary(own, provisional, now, rag)
    key = _key_messages(
        period,
        scope,
        own=own,
        provisional=provisional,
        rag=rag,
        thresholds=thresholds,
        summary=stored,
        previous=previous,
    )
    method = _method(period, data_version, borough=borough)
    method.paragraphs.insert(
        -2,
        "Red, amber and green (key messages): each borough's figure for the quarter on each measure is red at or "
        "above the red threshold, amber at or above the amber one, and green below it; a borough's overall grade "
        "is its worst. The region sets the thresholds (in the portal's admin); where it has set none, the "
        "portal's default applies. " + "; ".join(t.text for t in thresholds) + ".",
    )
    subject = borough.name if borough else region.name
    return Pack(
        title=f"{subject} compliance pack, {quarter}",
        subject=subject,
        region=region.name,
        quarter=quarter,
        period_label=period.label,
        generated_at=timezone.localtime(),
        data_version=data_version,
        sections=[key, summary, cards, agencies, breaches, cool_off, method],
        coverage=own,
        provisional=provisional,
        summary=stored,
    )


def regional_pack(
    period: ReportingPeriod,
    *,
    data_version: str,
    progress: Progress = _quiet,
    previous: tuple[int, dict] | None = None,
) -> Pack:
    """The steering group's pack: every borough's scorecard in full."""

    def scorecards(scope: figures.Scope, quarter: str) -> Section:
        cards = figures.borough_scorecards(period)
        worst = sorted((c for c in cards if c.breaches), key=lambda c: (-c.breaches, c.borough))[:TOP]
        chart = charts.bar_chart(
            chart_id="chart-boroughs-breaches",
            title=f"Boroughs with most rows over the cap (up to {TOP})",
            desc="Rows over the cap per borough, most first, with how many are signed off beside each bar.",
            bars=[charts.Bar(c.borough, c.breaches, f"{c.breaches} ({c.signed_off} signed off)") for c in worst],
            width=CHART_WIDTH,
        )
        return Section(
            "boroughs",
            "Borough scorecards",
            [
                "Each borough's return and its rows in the quarter: within and over the cap, breach sign-offs, "
                "cool-off and PQE flags, its reporting unit's agency share, and the references it answered."
            ],
            [Table(f"Borough scorecards, {quarter}", SCORECARD_COLUMNS, _rows(cards), sheet="Borough scorecards")],
            [chart] if worst else [],
            wide=True,
        )

    return _pack(
        period, borough=None, data_version=data_version, progress=progress, scorecards=scorecards, previous=previous
    )


def _rows(cards: list[figures.BoroughScorecard]) -> list[list]:
    return [_scorecard_row(card) for card in cards]


def borough_pack(
    period: ReportingPeriod,
    borough: Borough,
    *,
    data_version: str,
    progress: Progress = _quiet,
    previous: tuple[int, dict] | None = None,
) -> Pack:
    """One borough's pack: its own scorecard, and the other boroughs only as medians."""

    def scorecards(scope: figures.Scope, quarter: str) -> Section:
        card = next(c for c in figures.borough_scorecards(period) if c.borough_id == borough.pk)
        region_scope = figures.Scope(period.starts_on, period.starts_on, region=period.region)
        comparison = figures.borough_comparison(region_scope, borough)
        return Section(
            "scorecard",
            "Scorecard against the region",
            [
                f"{borough.name}'s own figures for {quarter}, then beside the median borough of its sub-region and "
                f"region. Other boroughs are shown only as medians, when at least {figures.SMALL_COUNT} boroughs "
                "have the figure."
            ],
            [
                Table(f"{borough.name}, {quarter}", SCORECARD_COLUMNS, _rows([card]), sheet="Scorecard"),
                Table(
                    f"{borough.name} against the region",
                    [Column("Measure"), Column(borough.name), Column("Sub-region median"), Column("Region median")],
                    [[c.measure, c.own, c.sub_region, c.region] for c in comparison],
                    sheet="Against the region",
                ),
            ],
            wide=True,
        )

    return _pack(
        period, borough=borough, data_version=data_version, progress=progress, scorecards=scorecards, previous=previous
    )
