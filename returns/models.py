"""Quarterly returns: reporting units and periods, the return with its workforce section and assignment
rows, validation runs and their findings, explanations of queries, workflow transitions and the
snapshots that keep every submitted version readable (DESIGN.md section 4).

A return belongs to a *reporting unit*, not a borough: usually a unit is one borough, but two boroughs may
make a joint return (Kingston and Richmond do). Each assignment row still names its borough, so a joint
return can be split for the DfE export and the dashboards.

Every field of an assignment may be blank while the return is a draft: validation reports what is
missing, so a half-finished row is never lost. Values that cannot be read at all (text in a money cell)
are refused at the door by the form, the upload or the API.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models

from pledge_portal.core import instances
from rates.models import EngagementType


class ReportingUnit(models.Model):
    """Who makes one return: one borough, or several making a joint return."""

    region = models.ForeignKey("boroughs.Region", on_delete=models.PROTECT, related_name="reporting_units")
    name = models.CharField(max_length=150, unique=True)
    boroughs = models.ManyToManyField("boroughs.Borough", related_name="reporting_units")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReportingPeriod(models.Model):
    """A quarter of a region's reporting: it opens the day after the quarter ends, returns are due by the
    deadline, and after the lock date only a regional analyst can reopen one."""

    region = models.ForeignKey("boroughs.Region", on_delete=models.PROTECT, related_name="reporting_periods")
    starts_on = models.DateField(help_text="First day of the quarter.")
    ends_on = models.DateField(help_text="Last day of the quarter.")
    opens_on = models.DateField(help_text="Returns can be made from this day.")
    deadline = models.DateField(help_text="Returns are due by this day.")
    locks_on = models.DateField(help_text="After this day drafts cannot be changed or submitted.")
    locked = models.BooleanField(default=False, help_text="Locked early by an analyst.")
    cool_off_months = models.PositiveSmallIntegerField(
        default=6,
        help_text="The Pledge's cool-off: months between leaving a permanent post in another borough of the "
        "region and an agency start there.",
    )
    dfe_cool_off_months = models.PositiveSmallIntegerField(
        default=3,
        help_text="DfE statutory guidance's cool-off: months between leaving a permanent post in the borough "
        "itself or another of the region and an agency start.",
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["region", "starts_on"], name="one_period_per_quarter"),
            models.CheckConstraint(condition=models.Q(ends_on__gt=models.F("starts_on")), name="period_has_length"),
            models.CheckConstraint(
                condition=models.Q(deadline__gte=models.F("opens_on")) & models.Q(locks_on__gte=models.F("deadline")),
                name="period_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """Financial-year quarters, as boroughs name them: Q1 is April to June."""
        quarter = (self.starts_on.month - 4) % 12 // 3 + 1
        year = self.starts_on.year if self.starts_on.month >= 4 else self.starts_on.year - 1
        return f"{year}-{str(year + 1)[2:]} Q{quarter} ({self.starts_on:%B} to {self.ends_on:%B %Y})"

    def is_locked(self, today) -> bool:
        return self.locked or today > self.locks_on


class Return(models.Model):
    """One reporting unit's return for one period."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        SIGNED_OFF = "signed_off", "Signed off"
        ACCEPTED = "accepted", "Accepted"
        RETURNED = "returned", "Returned for amendment"

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    unit = models.ForeignKey(ReportingUnit, on_delete=models.PROTECT, related_name="returns")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.PROTECT, related_name="returns")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    revision = models.PositiveIntegerField(
        default=1, help_text="Goes up with every change; an edit made on an older revision is refused."
    )
    validated_revision = models.PositiveIntegerField(
        null=True, blank=True, help_text="The revision the latest finished validation checked."
    )
    # The aggregate section's return-wide figures; per-role figures are WorkforceLine rows.
    agency_spend_month_1 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    agency_spend_month_2 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    agency_spend_month_3 = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    project_teams = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Agency project teams (managed teams) working in the quarter."
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    returned_comment = models.TextField(blank=True, help_text="The analyst's reason for returning it.")

    class Meta:
        ordering = ["-period__starts_on", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["unit", "period"], name="one_return_per_unit_and_period")]
        indexes = [models.Index(fields=["period", "status"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.period.label}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    @property
    def agency_spend(self) -> Decimal | None:
        months = [self.agency_spend_month_1, self.agency_spend_month_2, self.agency_spend_month_3]
        return None if all(m is None for m in months) else sum((m or Decimal(0)) for m in months)


class WorkforceLine(models.Model):
    """The aggregate section for one role: permanent and agency staff, vacancies, starters and leavers."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="workforce")
    role = models.ForeignKey("rates.RoleCategory", on_delete=models.PROTECT, related_name="+")
    permanent_headcount = models.PositiveIntegerField(null=True, blank=True)
    permanent_fte = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    agency_headcount = models.PositiveIntegerField(null=True, blank=True)
    agency_fte = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    vacancies_fte = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    starters = models.PositiveIntegerField(null=True, blank=True, help_text="Permanent starters in the quarter.")
    leavers = models.PositiveIntegerField(null=True, blank=True, help_text="Permanent leavers in the quarter.")

    class Meta:
        ordering = ["role__order"]
        constraints = [models.UniqueConstraint(fields=["ret", "role"], name="one_workforce_line_per_role")]

    # Each figure's label, as the page, the workbook's Workforce sheet and the changes since sign-off show it.
    FIGURE_LABELS = {
        "permanent_headcount": "Permanent headcount",
        "permanent_fte": "Permanent FTE",
        "agency_headcount": "Agency headcount",
        "agency_fte": "Agency FTE",
        "vacancies_fte": "Vacancies (FTE)",
        "starters": "Permanent starters",
        "leavers": "Permanent leavers",
    }
    FIGURES = tuple(FIGURE_LABELS)

    def __str__(self) -> str:
        return f"{self.role_id} workforce in {self.ret_id}"


class Assignment(models.Model):
    """One agency assignment active in the quarter (DESIGN.md section 4)."""

    # Indexes cost every row an upload writes: a return's rows are found by (ret, position), an agency's by
    # (agency, ret), so neither foreign key needs an index of its own.
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    position = models.PositiveIntegerField(help_text="Row number as the borough sees it (1, 2, 3...).")
    borough = models.ForeignKey("boroughs.Borough", on_delete=models.PROTECT, related_name="assignments")
    registration_number = models.CharField("Social Work England registration number", max_length=12, blank=True)
    role = models.ForeignKey(
        "rates.RoleCategory", null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    local_role = models.ForeignKey(
        "rates.LocalRole", null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assignments",
        help_text="Set when the agency is known to the portal.",
        db_index=False,
    )
    agency_name = models.CharField(max_length=200, blank=True, help_text="As the borough reports it.")
    engagement_type = models.CharField(max_length=20, choices=EngagementType.choices, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True, help_text="Blank while the assignment continues.")
    hourly_pay_rate = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    hourly_charge_rate = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    project_team = models.BooleanField(default=False)
    pqe_years = models.DecimalField(
        "post-qualifying experience (years)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    previous_employer = models.ForeignKey(
        "boroughs.Borough",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The London borough they last held a permanent post with, where known.",
    )
    left_previous_on = models.DateField(null=True, blank=True, help_text="When they left that permanent post.")
    reference_received = models.BooleanField(null=True, blank=True)
    notice_period_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    breach_sign_off = models.ForeignKey(
        "rates.BreachSignOff", null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    carried_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The same assignment in the previous return, when it was carried forward.",
    )

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["ret", "position"], name="one_row_per_position")]
        indexes = [
            models.Index(fields=["registration_number", "start_date"]),
            models.Index(fields=["agency", "ret"]),
        ]

    # The fields a person fills in, in the order the form, the spreadsheet and the API use.
    INPUT_FIELDS = (
        "borough",
        "registration_number",
        "role",
        "local_role",
        "agency_name",
        "engagement_type",
        "start_date",
        "end_date",
        "hourly_pay_rate",
        "hourly_charge_rate",
        "project_team",
        "pqe_years",
        "previous_employer",
        "left_previous_on",
        "reference_received",
        "notice_period_weeks",
        "breach_sign_off",
    )

    def __str__(self) -> str:
        return f"Row {self.position}: {self.registration_number or 'no registration number'}"

    @classmethod
    def from_db(cls, db, field_names, values):
        """A row read whole is set straight into the instance (``core.instances``): a return's check reads
        up to 20,000 of them."""
        return instances.from_db(cls, db, field_names, values)

    def is_active_on(self, day) -> bool:
        return bool(self.start_date) and self.start_date <= day and (self.end_date is None or self.end_date >= day)


class ValidationRun(models.Model):
    """One validation of one revision of a return, run as a background job."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="validation_runs")
    revision = models.PositiveIntegerField()
    task_run = models.OneToOneField(
        "jobs.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="validation_run"
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    errors = models.PositiveIntegerField(default=0)
    queries = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Validation of {self.ret} revision {self.revision}"


class Finding(models.Model):
    """What one rule found: an error blocks submission; a query needs a written explanation."""

    class Severity(models.TextChoices):
        ERROR = "error", "Error"
        QUERY = "query", "Query"

    # A run's findings are found by (run, key); rule codes are matched whole (no LIKE index).
    run = models.ForeignKey(ValidationRun, on_delete=models.CASCADE, related_name="findings", db_index=False)
    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="findings")
    rule_code = models.CharField(max_length=20)
    severity = models.CharField(max_length=5, choices=Severity.choices)
    assignment = models.ForeignKey(
        Assignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings"
    )
    position = models.PositiveIntegerField(null=True, blank=True, help_text="The row, as it was when checked.")
    field = models.CharField(max_length=40, blank=True)
    message = models.CharField(max_length=500)
    key = models.CharField(
        max_length=200,
        help_text="What the finding is about, stable across runs (rule, worker, start date, field), so an "
        "explanation written once still answers the same query after the return is checked again.",
    )

    class Meta:
        ordering = ["severity", "position", "rule_code"]
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="one_finding_per_key_per_run")]
        indexes = [models.Index(fields=["rule_code"], name="finding_rule_code")]

    def __str__(self) -> str:
        return f"{self.rule_code} {self.message}"


class QueryExplanation(models.Model):
    """The submitter's written answer to a query, kept by the finding's key across validation runs."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="explanations")
    key = models.CharField(max_length=200)
    text = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ret", "key"], name="one_explanation_per_query")]

    def __str__(self) -> str:
        return f"Explanation of {self.key}"


class Transition(models.Model):
    """A step of the workflow: who moved the return from which status to which, when, and why."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=12, choices=Return.Status.choices)
    to_status = models.CharField(max_length=12, choices=Return.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} to {self.to_status}"


class Snapshot(models.Model):
    """The whole return as it was submitted: each submission keeps one, so earlier versions stay readable.

    When the approver signs a version off, the snapshot is marked signed off; if the return moved between
    submission and sign-off (a breach of the cap signed off on the submitted return, an agreement recorded),
    the content as signed off is kept beside the content as submitted, so "what changed since sign-off"
    compares with what was actually signed off (``returns.changes``)."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="snapshots")
    number = models.PositiveIntegerField()
    revision = models.PositiveIntegerField()
    data = models.JSONField(help_text="The workforce section, the rows and the explanations, as submitted.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    signed_off_at = models.DateTimeField(null=True, blank=True, help_text="When the approver signed this version off.")
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_data = models.JSONField(
        null=True,
        blank=True,
        help_text="The content as signed off, when it differs from the content as submitted (breaches signed "
        "off after submission); blank when they are the same.",
    )

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["ret", "number"], name="one_snapshot_number_per_return")]

    def __str__(self) -> str:
        return f"Version {self.number} of {self.ret_id}"

    @property
    def content_signed_off(self) -> dict:
        """What the approver signed off: the content as signed off, else as submitted."""
        return self.signed_off_data if self.signed_off_data is not None else self.data


class StatutoryException(models.Model):
    """The recorded agreement of a borough's Director of Children's Services and Chief Executive to break a
    statutory rule for one assignment, as pay above the cap is signed off (a locum with less than 3 years'
    post-qualifying experience). The breach stays a breach: it is reported in the return, the dashboards and
    the pack; the agreement only lets the return be submitted. Kept by worker and start date (not row), so it
    survives a re-upload, and with the figure agreed, so it lapses if the figure changes."""

    class Rule(models.TextChoices):
        PQE = "PQE-001", "Less than 3 years' post-qualifying experience"

    borough = models.ForeignKey("boroughs.Borough", on_delete=models.PROTECT, related_name="statutory_exceptions")
    registration_number = models.CharField("Social Work England registration number", max_length=12)
    assignment_start = models.DateField()
    rule_code = models.CharField(max_length=20, choices=Rule.choices)
    agreed_value = models.CharField(max_length=40, help_text="The figure that was agreed, like the years of PQE.")
    reason = models.TextField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_by_title = models.CharField("approver's job title", max_length=120)
    chief_executive = models.CharField("Chief Executive who agreed", max_length=150)
    signed_on = models.DateField(help_text="When the DCS and the Chief Executive agreed.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["borough", "registration_number", "assignment_start", "rule_code", "agreed_value"],
                name="one_agreement_per_assignment_rule_and_figure",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_code_display()}: {self.registration_number} from {self.assignment_start:%-d %b %Y}"


class WorkbookUpload(models.Model):
    """A workbook uploaded to a return, stored until the background job has read it.

    The upload page only stores the file (its size limited as it streams in) and starts the job
    (``returns.tasks.load_upload``); the job reads, checks and loads it, then deletes this record and the
    file. One the job never finished is deleted after ``UPLOAD_RETENTION`` (``delete_stale_uploads``)."""

    class Mode(models.TextChoices):
        MERGE = "merge", "Merge"
        REPLACE = "replace", "Replace"

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="workbook_uploads")
    mode = models.CharField(max_length=10, choices=Mode.choices)
    expected_revision = models.PositiveIntegerField(help_text="The revision the uploader saw: a later change wins.")
    file = models.FileField(upload_to="uploads/returns/%Y/%m/")
    digest = models.CharField(max_length=64, help_text="SHA-256 of the file: the same file sent twice loads once.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    task_run = models.OneToOneField(
        "jobs.TaskRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="workbook_upload"
    )
    loaded = models.JSONField(
        null=True,
        blank=True,
        help_text="What loading changed (rows added, updated, removed), written in the loading transaction: a "
        "job run again after a crash checks the return rather than loading the file twice.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Workbook uploaded to {self.ret}"


class Leaver(models.Model):
    """A permanent children's social worker who left the reporting borough, as its return reports them: the
    leavers register the cool-off check reads across the region (``returns.leavers``).

    Minimised (DESIGN.md section 3, "Worker identity"): the registration number, the day they left, their core
    role and which of the unit's boroughs they left, nothing else. Reported per quarter and never carried
    forward; kept only while a cool-off could still be broken (``tasks.purge_expired_leavers``)."""

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="leavers")
    borough = models.ForeignKey(
        "boroughs.Borough",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Which of the unit's boroughs they left (a joint unit has two).",
    )
    registration_number = models.CharField("Social Work England registration number", max_length=12)
    leaving_date = models.DateField(help_text="Their last day in the permanent post.")
    role = models.ForeignKey("rates.RoleCategory", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["leaving_date", "registration_number"]
        constraints = [
            models.UniqueConstraint(fields=["ret", "registration_number"], name="one_leaver_per_worker_per_return")
        ]
        indexes = [models.Index(fields=["registration_number", "leaving_date"]), models.Index(fields=["leaving_date"])]

    # The fields a person fills in, in the order the form, the spreadsheet and the API use.
    INPUT_FIELDS = ("borough", "registration_number", "leaving_date", "role")

    def __str__(self) -> str:
        return f"{self.registration_number} left on {self.leaving_date:%-d %b %Y}"
