"""Admin for the settings a region decides: its red, amber and green thresholds."""

from django.contrib import admin

from .models import RagThreshold


@admin.register(RagThreshold)
class RagThresholdAdmin(admin.ModelAdmin):
    list_display = ["region", "measure", "amber_at", "red_at"]
    list_filter = ["region", "measure"]
    list_select_related = ["region"]
