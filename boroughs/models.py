"""Regions, sub-regions and boroughs.

A region is data, not code: London is one region of nine, each with its own programme team (an
``Organisation`` of kind regional team) whose analysts see that region's boroughs. Sub-regions are a
default grouping that analysts may change.
"""

from django.db import models

from pledge_portal.accounts.models import Organisation


class Region(models.Model):
    code = models.CharField(max_length=9, unique=True, help_text="ONS region code, e.g. E12000007 for London.")
    name = models.CharField(max_length=100, unique=True)
    organisation = models.OneToOneField(
        Organisation,
        on_delete=models.PROTECT,
        related_name="region",
        null=True,
        blank=True,
        help_text="The regional programme team that oversees this region.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubRegion(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="sub_regions")
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["region__name", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="subregion_unique_name")]

    def __str__(self) -> str:
        return self.name


class Borough(models.Model):
    """A local authority with children's services. London's 33 are loaded from shared reference data."""

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="borough")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="boroughs")
    sub_region = models.ForeignKey(SubRegion, on_delete=models.PROTECT, related_name="boroughs", null=True, blank=True)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=50)
    gss_code = models.CharField("GSS code", max_length=9, unique=True)
    dfe_code = models.CharField("DfE LA code", max_length=3, unique=True)
    pledge_signatory = models.BooleanField(
        default=False, help_text="Signed the regional pledge on agency social workers."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
