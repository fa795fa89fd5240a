"""The shared reference template, reference requests, completed and uploaded references, and proposals.

Access to a reference is narrow: the borough that issued it, the agency that asked for or uploaded it,
and boroughs the candidate has been proposed to (``selectors.references_visible_to``). A reference keeps
the template version it was written on, so it always reads as its referee saw it.
"""

from django.conf import settings
from django.db import models


class ReferenceTemplate(models.Model):
    """One version of the shared practice-based reference template, as structured data.

    ``schema`` is ``{"sections": [{"key", "title", "questions": [{"key", "label", "type", "required",
    "choices", "hint"}]}]}`` with types ``date``, ``choice``, ``rating``, ``text``, ``short_text``,
    ``yes_no_details`` (which asks for details when the answer is ``details_when``: "yes" unless it says "no").
    A regional analyst drafts a new version (``published_on`` empty), previews it and publishes it; a
    published version is never edited, so a reference always reads as its referee saw it."""

    version = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    schema = models.JSONField()
    published_on = models.DateField(null=True, blank=True, help_text="Empty while the version is a draft.")
    notes = models.TextField(blank=True, help_text="What changed from the previous version.")
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @property
    def is_draft(self) -> bool:
        return self.published_on is None

    def questions(self):
        for section in self.schema["sections"]:
            for question in section["questions"]:
                yield section, question


class ReferenceRequest(models.Model):
    """An agency's request to a borough for a reference about a candidate the borough employed."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined"
        CANCELLED = "cancelled", "Cancelled"

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="reference_requests")
    borough = models.ForeignKey("boroughs.Borough", on_delete=models.PROTECT, related_name="reference_requests")
    registration_number = models.CharField("Social Work England registration number", max_length=12, db_index=True)
    candidate_name = models.CharField(max_length=150)
    employed_from = models.DateField(null=True, blank=True, help_text="As the candidate told the agency.")
    employed_to = models.DateField(null=True, blank=True)
    candidate_email = models.CharField(
        max_length=254, blank=True, help_text="The candidate's own email address, if the agency gave it (lower case)."
    )
    candidate_phone = models.CharField(
        max_length=30, blank=True, help_text="The candidate's own phone number, if the agency gave it."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    due_on = models.DateField(help_text="Counted in working days from the request.")
    declined_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reminded_on = models.DateField(null=True, blank=True, help_text="The last reminder's date.")

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [models.Index(fields=["borough", "status", "due_on"])]

    def __str__(self) -> str:
        return f"Reference request {self.pk} for {self.registration_number}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.REQUESTED


class Reference(models.Model):
    """A reference about a candidate: completed in the portal by a borough, or uploaded by an agency."""

    class Source(models.TextChoices):
        COMPLETED = "completed", "Completed in the portal"
        UPLOADED = "uploaded", "Uploaded by an agency"

    source = models.CharField(max_length=10, choices=Source.choices)
    template = models.ForeignKey(ReferenceTemplate, on_delete=models.PROTECT, related_name="references")
    request = models.OneToOneField(
        ReferenceRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="reference"
    )
    registration_number = models.CharField(max_length=12, db_index=True)
    candidate_name = models.CharField(max_length=150)
    issuing_borough = models.ForeignKey(
        "boroughs.Borough",
        on_delete=models.PROTECT,
        related_name="references_issued",
        help_text="The employer the reference is about (and, when completed in the portal, its author).",
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        on_delete=models.PROTECT,
        related_name="references",
        help_text="The agency that asked for it or uploaded it.",
    )
    answers = models.JSONField(default=dict, help_text="Keyed by question key of the template version.")
    # Contacts as compared (``references.contacts``): the referee's from the answers (template version 3 on) and
    # the candidate's own as the agency gave them; blank when not known.
    referee_email = models.CharField(max_length=254, blank=True, db_index=True)
    referee_phone = models.CharField(max_length=16, blank=True, db_index=True)
    candidate_email = models.CharField(max_length=254, blank=True)
    candidate_phone = models.CharField(max_length=16, blank=True)
    file = models.FileField(upload_to="references/%Y/%m/", blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_type = models.CharField(max_length=10, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    retain_until = models.DateField(help_text="Deleted, with its file, after this date.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["retain_until"])]

    def __str__(self) -> str:
        return f"Reference {self.pk} for {self.registration_number}"


class Proposal(models.Model):
    """An agency proposes a candidate to a borough; from then that borough may read their references."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.PROTECT, related_name="proposals")
    borough = models.ForeignKey("boroughs.Borough", on_delete=models.PROTECT, related_name="proposals")
    registration_number = models.CharField(max_length=12)
    candidate_name = models.CharField(max_length=150)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-proposed_at"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "borough", "registration_number"], name="proposal_once")
        ]
        indexes = [models.Index(fields=["borough", "registration_number"])]

    def __str__(self) -> str:
        return f"{self.registration_number} proposed to {self.borough} by {self.agency}"
