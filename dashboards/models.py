"""Settings of the dashboards that a region decides, not the code: the red, amber and green thresholds of the
Pledge's measures, read by the compliance pack's key messages (``figures.rag``), and where a rise in pay is a sign
of bidding up (``figures.bidding``)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class RagThreshold(models.Model):
    """Where a borough's figure on one of the Pledge's measures turns amber and red, for one region. A value
    at or above ``red_at`` is red, at or above ``amber_at`` amber, below it green. A region that sets none
    gets the defaults in ``figures.rag.DEFAULTS``, and the pack's method note says which applied."""

    class Measure(models.TextChoices):
        UNSIGNED = "unsigned_breaches", "Rows over the cap without sign-off"
        BREACH_RATE = "breach_rate", "Rows over the cap, as a percentage of rows"
        COOL_OFF = "cool_off", "Rows flagged for the cool-off"
        LOW_PQE = "low_pqe", "Locums under 3 years' post-qualifying experience"
        AGENCY_SHARE = "agency_share", "Agency share of the workforce (%)"

    region = models.ForeignKey("boroughs.Region", on_delete=models.CASCADE, related_name="rag_thresholds")
    measure = models.CharField(max_length=30, choices=Measure.choices)
    amber_at = models.DecimalField(max_digits=7, decimal_places=2, help_text="Amber at or above this value.")
    red_at = models.DecimalField(max_digits=7, decimal_places=2, help_text="Red at or above this value.")

    class Meta:
        ordering = ["region", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["region", "measure"], name="one_rag_threshold_per_region_measure"),
            models.CheckConstraint(condition=models.Q(red_at__gte=models.F("amber_at")), name="red_at_or_above_amber"),
        ]
        verbose_name = "red, amber and green threshold"

    def __str__(self) -> str:
        return f"{self.region}: {self.get_measure_display()} amber at {self.amber_at}, red at {self.red_at}"

    def clean(self):
        if self.amber_at is not None and self.red_at is not None and self.red_at < self.amber_at:
            raise ValidationError({"red_at": "Enter a red threshold at or above the amber one."})


class BiddingUpThreshold(models.Model):
    """Where a worker's rate rising from one assignment to the next (a move to another borough, or a renewal
    in the same one) becomes a sign of bidding up, for one region: above ``rise_percent`` of the earlier rate,
    above ``rise_pounds`` an hour, or, when both are set, above either (or both, if ``both``). A region that
    sets none gets ``figures.bidding.DEFAULT``. Regional analysts set it on the bidding-up page."""

    region = models.OneToOneField("boroughs.Region", on_delete=models.CASCADE, related_name="bidding_up_threshold")
    rise_percent = models.DecimalField("rise of more than (%)", max_digits=5, decimal_places=2, null=True, blank=True)
    rise_pounds = models.DecimalField(
        "rise of more than (£ an hour)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    both = models.BooleanField(
        default=False, help_text="When both are set: flag a rise only when it passes both (otherwise either)."
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rise_percent__isnull=False) | models.Q(rise_pounds__isnull=False),
                name="bidding_up_threshold_says_something",
            ),
            models.CheckConstraint(
                condition=(models.Q(rise_percent__isnull=True) | models.Q(rise_percent__gt=0))
                & (models.Q(rise_pounds__isnull=True) | models.Q(rise_pounds__gt=0)),
                name="bidding_up_threshold_positive",
            ),
        ]
        verbose_name = "bidding-up threshold"

    def __str__(self) -> str:
        return f"{self.region}: bidding-up threshold"


# --- Per-return aggregates: what the dashboards read instead of every row (docs/decisions/0013) ---------


class ReturnFigures(models.Model):
    """That an accepted return's figures are in the aggregate tables below, and what they were built from:
    the rate cards (``rates_version``, a digest of ``rates.table.fingerprint()``: breaches depend on the caps)
    and the validation run whose findings gave the flags. Kept by ``dashboards.aggregates``: built when a
    return is accepted or its check finishes while accepted, deleted when it is reopened, and rebuilt by
    ``manage.py rebuild_dashboard_figures`` (or the task) for anything missing or built on older rate cards.
    Only accepted returns have one."""

    ret = models.OneToOneField("returns.Return", on_delete=models.CASCADE, primary_key=True, related_name="figures")
    rates_version = models.CharField(max_length=20)
    run = models.ForeignKey("returns.ValidationRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    built_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "return's dashboard figures"
        verbose_name_plural = "returns' dashboard figures"

    def __str__(self) -> str:
        return f"Figures of return {self.ret_id}"


class _Counted(models.Model):
    """Where an aggregate row's count belongs: its quarter, region and core role (the local role's core type
    when there is one; blank when the row has neither)."""

    # Only the indexes the dashboards read by (each table's Meta): every index is written for every row.
    region = models.ForeignKey("boroughs.Region", on_delete=models.CASCADE, related_name="+", db_index=False)
    quarter = models.DateField()
    core_role = models.ForeignKey(
        "rates.RoleCategory", null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    rows = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class _ReturnPart(_Counted):
    """What every per-return aggregate row says about where it belongs: its return, and (copied from it, so a
    figure reads one table) its quarter, region and reporting unit; the rows' borough and core role."""

    figures = models.ForeignKey(ReturnFigures, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("returns.ReportingUnit", on_delete=models.CASCADE, related_name="+", db_index=False)
    borough = models.ForeignKey("boroughs.Borough", on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} of return {self.figures_id}, borough {self.borough_id}"


class _AgencyCounts(models.Model):
    """Per agency (blank: not known to the portal): rows over the cap and those signed off."""

    agency = models.ForeignKey("agencies.Agency", null=True, on_delete=models.CASCADE, related_name="+", db_index=False)
    breaches = models.PositiveIntegerField(default=0)
    signed_off = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class _PayRate(models.Model):
    """Per cap basis and hourly pay rate (a frequency table: ``rows`` have it)."""

    basis = models.CharField(max_length=10)  # "inclusive" or "paye"
    rate = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        abstract = True


class BoroughFigures(_ReturnPart):
    """Per accepted return, borough and core role: rows, rows over the cap, those signed off, and rows
    flagged (cool-off, PQE under 3 years, overlap) by the return's latest finished check."""

    breaches = models.PositiveIntegerField(default=0)
    signed_off = models.PositiveIntegerField(default=0)
    cool_off = models.PositiveIntegerField(default=0)
    low_pqe = models.PositiveIntegerField(default=0)
    overlap = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["region", "quarter"])]


class AgencyFigures(_AgencyCounts, _ReturnPart):
    """Per accepted return, borough, core role and agency (blank: not known to the portal): rows, rows over
    the cap and those signed off."""

    class Meta:
        indexes = [models.Index(fields=["region", "quarter"]), models.Index(fields=["agency", "quarter"])]


class PayFigures(_PayRate, _ReturnPart):
    """Per accepted return, borough, core role, cap basis and hourly pay rate: how many rows have it (the
    frequency table the quartiles are read from). Rows without a rate, engagement type or role are left out,
    as the pay figures leave them out."""

    class Meta:
        indexes = [
            models.Index(fields=["region", "quarter"]),
            # The quartiles read a region's or a borough's rates in order, per role and basis (figures.aggregated):
            # from one of these alone, already sorted, so the database neither fetches the rows nor sorts them.
            models.Index(
                fields=["region", "core_role", "basis", "rate", "quarter"],
                include=["rows", "borough", "unit"],
                name="payfigures_rates_in_order",
            ),
            models.Index(
                fields=["borough", "core_role", "basis", "rate", "quarter"],
                include=["rows", "region", "unit"],
                name="payfigures_borough_rates",
            ),
        ]


# --- Whole regions: the parts above added up per region and quarter (docs/decisions/0013) --------------


class _RegionPart(_Counted):
    """What a return's parts add up to for a whole region and quarter, per core role: the figures of a region's
    page without a sub-region (the long tables by agency and by pay rate), read from fewer lines than one per
    return and borough. Kept by ``dashboards.aggregates.roll_up`` in the transaction that changes the parts, so
    they never disagree."""

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} of region {self.region_id}, {self.quarter}"


class RegionAgencyFigures(_AgencyCounts, _RegionPart):
    """``AgencyFigures`` added up per region, quarter, core role and agency."""

    class Meta:
        indexes = [
            models.Index(
                fields=["region", "quarter"],
                include=["core_role", "agency", "rows", "breaches", "signed_off"],
                name="regionagency_quarters",
            )
        ]


class RegionPayFigures(_PayRate, _RegionPart):
    """``PayFigures`` added up per region, quarter, core role, cap basis and rate."""

    class Meta:
        indexes = [
            models.Index(
                fields=["region", "core_role", "basis", "rate", "quarter"],
                include=["rows"],
                name="regionpay_rates_in_order",
            )
        ]
