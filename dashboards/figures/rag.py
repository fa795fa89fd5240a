"""Red, amber and green per borough on the Pledge's measures, for the compliance pack's key messages. The
thresholds are the region's (``dashboards.models.RagThreshold``, set in the admin), else ``DEFAULTS``. See the
package's docstring for the counting conventions."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from returns.models import ReportingPeriod

from .registers import BoroughScorecard, borough_scorecards

RED, AMBER, GREEN, NONE = "Red", "Amber", "Green", "No return"
ORDER = {RED: 0, AMBER: 1, GREEN: 2, NONE: 3}

# (amber at, red at) when the region has set none: any unsigned breach, cool-off start or locum under 3
# years' PQE needs a look; a few need action. Agency share against the Pledge's aim of a permanent workforce.
DEFAULTS = {
    "unsigned_breaches": (Decimal(1), Decimal(3)),
    "breach_rate": (Decimal(5), Decimal(15)),
    "cool_off": (Decimal(1), Decimal(3)),
    "low_pqe": (Decimal(1), Decimal(2)),
    "agency_share": (Decimal(15), Decimal(25)),
}


# Column titles short enough for one page of 33 boroughs; the method note uses the full names.
SHORT = {
    "unsigned_breaches": "Unsigned breaches",
    "breach_rate": "Over the cap (% of rows)",
    "cool_off": "Cool-off flags",
    "low_pqe": "PQE under 3 years",
    "agency_share": "Agency share (%)",
}


@dataclass(frozen=True)
class Threshold:
    measure: str
    label: str
    amber_at: Decimal
    red_at: Decimal
    set_by_region: bool

    @property
    def short(self) -> str:
        return SHORT.get(self.measure, self.label)

    def grade(self, value) -> str:
        if value is None:
            return NONE
        if value >= self.red_at:
            return RED
        return AMBER if value >= self.amber_at else GREEN

    @property
    def text(self) -> str:
        where = "set by the region" if self.set_by_region else "the portal's default: the region has set none"
        return f"{self.label}: amber at {self.amber_at.normalize():f}, red at {self.red_at.normalize():f} ({where})"


def thresholds_for(region) -> list[Threshold]:
    """The region's thresholds, each measure's default where it set none. One query."""
    from dashboards.models import RagThreshold

    labels = dict(RagThreshold.Measure.choices)
    own = {t.measure: t for t in RagThreshold.objects.filter(region=region)}
    result = []
    for measure, (amber, red) in DEFAULTS.items():
        if measure in own:
            result.append(Threshold(measure, labels[measure], own[measure].amber_at, own[measure].red_at, True))
        else:
            result.append(Threshold(measure, labels[measure], amber, red, False))
    return result


def _values(card: BoroughScorecard) -> dict[str, Decimal | int | None]:
    if not card.rows and card.share is None:
        return dict.fromkeys(DEFAULTS)  # no accepted return
    rate = (Decimal(card.breaches) / card.rows * 100).quantize(Decimal("0.1"), ROUND_HALF_UP) if card.rows else None
    return {
        "unsigned_breaches": card.without_sign_off,
        "breach_rate": rate,
        "cool_off": card.cool_off,
        "low_pqe": card.low_pqe,
        "agency_share": card.share,
    }


@dataclass
class RagLine:
    borough_id: int
    borough: str
    values: dict[str, Decimal | int | None]
    grades: dict[str, str]

    @property
    def overall(self) -> str:
        """The worst grade of the borough's measures (``No return`` only when it has no figure at all)."""
        graded = [g for g in self.grades.values() if g != NONE]
        return min(graded, key=ORDER.__getitem__) if graded else NONE


def rag_by_borough(period: ReportingPeriod, thresholds: list[Threshold]) -> list[RagLine]:
    """Each borough of the period's region graded on each measure. About a dozen queries."""
    lines = []
    for card in borough_scorecards(period):
        values = _values(card)
        grades = {t.measure: t.grade(values[t.measure]) for t in thresholds}
        lines.append(RagLine(card.borough_id, card.borough, values, grades))
    return lines
