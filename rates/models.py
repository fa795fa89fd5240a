"""Role categories, versioned rate cards and their caps, and breach sign-offs.

A rate card belongs to a region and holds, per role, two hourly caps: one for limited-company and
umbrella engagements (pay plus employer NI, holiday pay and apprenticeship levy) and a lower one for
PAYE engagements (those on-costs removed). Cards are drafted, then published; a published card is never
edited (a change is a new version) and is superseded when a later card is published.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models


class EngagementType(models.TextChoices):
    PAYE = "paye", "PAYE"
    UMBRELLA = "umbrella", "Umbrella company"
    LIMITED_COMPANY = "limited-company", "Limited company"


# Which of a card's two caps applies to each engagement type.
INCLUSIVE_ENGAGEMENTS = frozenset({EngagementType.UMBRELLA, EngagementType.LIMITED_COMPANY})


class RoleCategory(models.Model):
    """One of the 5 DfE core job types, seeded by migration."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order"]
        verbose_name_plural = "role categories"

    def __str__(self) -> str:
        return self.name


class LocalRole(models.Model):
    """A finer role a region uses (e.g. 'Principal social worker'), mapped to one core type."""

    region = models.ForeignKey("boroughs.Region", on_delete=models.PROTECT, related_name="local_roles")
    code = models.SlugField(max_length=60)
    name = models.CharField(max_length=120)
    core = models.ForeignKey(RoleCategory, on_delete=models.PROTECT, related_name="local_roles")

    class Meta:
        ordering = ["core__order", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="localrole_unique_code")]

    def __str__(self) -> str:
        return f"{self.name} ({self.core})"


class RateCardQuerySet(models.QuerySet):
    def in_force(self):
        """Cards whose caps apply to some date: published or superseded, never drafts."""
        return self.filter(status__in=[RateCard.Status.PUBLISHED, RateCard.Status.SUPERSEDED])

    def covering(self, on: date):
        return (
            self.in_force()
            .filter(effective_from__lte=on)
            .filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=on))
        )


class RateCard(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    region = models.ForeignKey("boroughs.Region", on_delete=models.PROTECT, related_name="rate_cards")
    version = models.PositiveIntegerField(help_text="Numbered in order of creation within the region.")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True, help_text="Leave blank while the card is current.")
    evidence_note = models.TextField(help_text="Where the figures come from and who agreed them.")
    change_summary = models.TextField(blank=True, help_text="Filled in on publication, against the previous card.")
    is_demo = models.BooleanField(default=False, help_text="Illustrative figures, not agreed caps.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = RateCardQuerySet.as_manager()

    class Meta:
        ordering = ["region", "-effective_from", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["region", "version"], name="ratecard_unique_version"),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="ratecard_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    def clean(self) -> None:
        if self.effective_to and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": "The end date must be the same as or after the start date."})


class RateCardLine(models.Model):
    """The two caps for one role on one card. A local role with no line of its own uses its core type's."""

    card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="lines")
    role = models.ForeignKey(RoleCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    local_role = models.ForeignKey(LocalRole, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    inclusive_cap = models.DecimalField(
        "limited company and umbrella cap (£/hour)",
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    paye_cap = models.DecimalField(
        "PAYE cap (£/hour)", max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        # Core roles in their order, then local roles under their core type.
        ordering = [models.F("role__order").asc(nulls_last=True), "local_role__core__order", "local_role__name"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(role__isnull=False) & models.Q(local_role__isnull=True))
                | (models.Q(role__isnull=True) & models.Q(local_role__isnull=False)),
                name="ratecardline_one_role",
            ),
            models.UniqueConstraint(fields=["card", "role"], name="ratecardline_unique_role"),
            models.UniqueConstraint(fields=["card", "local_role"], name="ratecardline_unique_local_role"),
            models.CheckConstraint(
                condition=models.Q(paye_cap__lte=models.F("inclusive_cap")),
                name="ratecardline_paye_not_above_inclusive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role_name}: £{self.inclusive_cap} / £{self.paye_cap} PAYE"

    @property
    def role_code(self) -> str:
        return self.role.code if self.role_id else self.local_role.code

    @property
    def role_name(self) -> str:
        return self.role.name if self.role_id else self.local_role.name

    def cap_for(self, engagement_type: str) -> Decimal:
        return self.inclusive_cap if engagement_type in INCLUSIVE_ENGAGEMENTS else self.paye_cap


class BreachSignOff(models.Model):
    """A named borough approver's acceptance of a specific over-cap rate for a specific assignment.

    National guidance asks for sign-off by the Director of Children's Services and the Chief Executive;
    the approver records both. The figures checked at sign-off are kept, so the record stands even if
    the assignment's row is later corrected."""

    borough = models.ForeignKey("boroughs.Borough", on_delete=models.PROTECT, related_name="breach_sign_offs")
    registration_number = models.CharField("Social Work England registration number", max_length=12)
    role_code = models.CharField(max_length=60)
    engagement_type = models.CharField(max_length=20, choices=EngagementType.choices)
    assignment_start = models.DateField()
    hourly_rate = models.DecimalField(max_digits=7, decimal_places=2)
    cap = models.DecimalField(max_digits=7, decimal_places=2)
    excess = models.DecimalField(max_digits=7, decimal_places=2)
    rate_card = models.ForeignKey(RateCard, on_delete=models.PROTECT, related_name="breach_sign_offs")
    reason = models.TextField()
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_by_title = models.CharField("approver's job title", max_length=120)
    chief_executive = models.CharField("Chief Executive who agreed", max_length=150)
    signed_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-signed_on", "-id"]
        indexes = [models.Index(fields=["borough", "registration_number"])]
        constraints = [
            # One sign-off per assignment and rate: a resubmitted form must not record a second breach.
            models.UniqueConstraint(
                fields=[
                    "borough",
                    "registration_number",
                    "role_code",
                    "engagement_type",
                    "assignment_start",
                    "hourly_rate",
                ],
                name="breachsignoff_once_per_assignment_rate",
            ),
        ]

    def __str__(self) -> str:
        return f"Sign-off for {self.registration_number} at £{self.hourly_rate}/hour ({self.borough})"
