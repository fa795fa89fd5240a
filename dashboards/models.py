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
