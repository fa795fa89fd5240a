"""Compliance packs (DESIGN.md section 6). The model lived in ``returns`` until issue 11; its table was
renamed, not copied, when it moved (returns migration 0003, packs migration 0001), so every pack and every
audit event about one is kept."""

from django.conf import settings
from django.db import models


class CompliancePack(models.Model):
    """One version of a period's compliance pack (DESIGN.md section 6): the regional pack (no borough) or
    one borough's, as a PDF and a workbook built together by a background job.

    A pack is READY only with both files stored and their SHA-256 checksums recorded, in one update at the
    end of the build; until then its files are not offered, and a failed build removes what it wrote.
    ``data_version`` fingerprints what the figures were read from, so asking again for an unchanged period
    reuses the pack instead of building an identical one."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    period = models.ForeignKey("returns.ReportingPeriod", on_delete=models.PROTECT, related_name="compliance_packs")
    borough = models.ForeignKey(
        "boroughs.Borough",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="compliance_packs",
        help_text="Blank for the regional pack.",
    )
    version = models.PositiveIntegerField(help_text="1, 2, 3... per period and borough (or region).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING)
    data_version = models.CharField(max_length=64, help_text="Fingerprint of the data the figures were read from.")
    pdf = models.FileField(upload_to="compliance-packs/", blank=True)
    xlsx = models.FileField(upload_to="compliance-packs/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    xlsx_sha256 = models.CharField(max_length=64, blank=True)
    pdf_size = models.PositiveIntegerField(null=True, blank=True)
    xlsx_size = models.PositiveIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True, help_text="Pages in the PDF.")
    task_run = models.OneToOneField(
        "jobs.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="compliance_pack"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Blank when the schedule asked for it (the period locked).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    provisional = models.BooleanField(
        default=False, help_text="Built before the period locked: its returns may still change."
    )
    summary = models.JSONField(
        default=dict,
        blank=True,
        help_text="The figures the pack stated (coverage, headline figures, each borough's measures), kept so "
        "the next version can say what changed.",
    )

    class Meta:
        ordering = ["period", "borough__name", "-version"]
        # Each constraint twice: NULLs are distinct in a unique index, so the regional pack (no borough)
        # needs its own. A pack being built or ready is unique per data version: a double click, or two
        # analysts at once, start one build.
        constraints = [
            models.UniqueConstraint(
                fields=["period", "borough", "version"],
                condition=models.Q(borough__isnull=False),
                name="one_borough_pack_per_version",
            ),
            models.UniqueConstraint(
                fields=["period", "version"],
                condition=models.Q(borough__isnull=True),
                name="one_region_pack_per_version",
            ),
            models.UniqueConstraint(
                fields=["period", "borough", "data_version"],
                condition=models.Q(borough__isnull=False) & ~models.Q(status="failed"),
                name="one_live_borough_pack_per_data_version",
            ),
            models.UniqueConstraint(
                fields=["period", "data_version"],
                condition=models.Q(borough__isnull=True) & ~models.Q(status="failed"),
                name="one_live_region_pack_per_data_version",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="ready")
                | (~models.Q(pdf="") & ~models.Q(xlsx="") & ~models.Q(pdf_sha256="") & ~models.Q(xlsx_sha256="")),
                name="ready_pack_has_both_files",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject} compliance pack, {self.period.label}, version {self.version}"

    @property
    def subject(self) -> str:
        return self.borough.name if self.borough_id else self.period.region.name

    @property
    def is_regional(self) -> bool:
        return self.borough_id is None

    @property
    def coverage(self) -> str:
        """The pack's coverage as it stated it: “12 of 32 units”."""
        return (self.summary or {}).get("coverage", {}).get("text", "")
