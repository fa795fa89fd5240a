"""The region's DfE extract: one stored workbook per version, built by a background job (like a compliance
pack). A borough's own file is small and is made when it is asked for, so it is not stored."""

from django.conf import settings
from django.db import models


class DfeExtract(models.Model):
    """One version of a period's regional DfE extract: every borough of the region, a row per borough per rule,
    the breaches, agencies, spend and assignment-level data (and the census items when the period holds 30
    September). READY only with the file stored and its SHA-256 recorded, in one update at the end of the
    build. ``data_version`` fingerprints what it was read from, so asking again for unchanged data reuses it."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    period = models.ForeignKey("returns.ReportingPeriod", on_delete=models.PROTECT, related_name="dfe_extracts")
    version = models.PositiveIntegerField(help_text="1, 2, 3... per period.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    data_version = models.CharField(max_length=64, help_text="Fingerprint of the data the extract was read from.")
    xlsx = models.FileField(upload_to="dfe-extracts/", blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_size = models.PositiveIntegerField(null=True, blank=True)
    coverage = models.JSONField(
        default=dict, blank=True, help_text="Which boroughs' returns it holds and their status, as it stated them."
    )
    task_run = models.OneToOneField(
        "jobs.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="dfe_extract"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["period", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["period", "version"], name="one_dfe_extract_per_version"),
            # A double click, or two analysts at once, start one build of the same data.
            models.UniqueConstraint(
                fields=["period", "data_version"],
                condition=~models.Q(status="failed"),
                name="one_live_dfe_extract_per_data_version",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready") | (~models.Q(xlsx="") & ~models.Q(xlsx_sha256="")),
                name="ready_dfe_extract_has_its_file",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period.region.name} DfE extract, {self.period.label}, version {self.version}"

    @property
    def coverage_text(self) -> str:
        return (self.coverage or {}).get("text", "")
