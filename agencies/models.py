"""Agencies and managed service providers (MSPs)."""

from django.db import models

from pledge_portal.accounts.models import Organisation


class Agency(models.Model):
    """An employment business that supplies locum social workers to boroughs."""

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="agency")
    name = models.CharField(max_length=200)
    companies_house_number = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class ManagedServiceProvider(models.Model):
    """A company that runs agency recruitment for several boroughs and reports on their behalf."""

    organisation = models.OneToOneField(Organisation, on_delete=models.PROTECT, related_name="msp")
    name = models.CharField(max_length=200)
    boroughs = models.ManyToManyField("boroughs.Borough", related_name="served_by", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "managed service provider"

    def __str__(self) -> str:
        return self.name
