from django.contrib import admin

from .models import Borough, Region, SubRegion


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "organisation"]
    search_fields = ["name", "code"]


@admin.register(SubRegion)
class SubRegionAdmin(admin.ModelAdmin):
    list_display = ["name", "region"]
    list_filter = ["region"]
    search_fields = ["name"]


@admin.register(Borough)
class BoroughAdmin(admin.ModelAdmin):
    list_display = ["name", "gss_code", "dfe_code", "region", "sub_region", "pledge_signatory"]
    list_filter = ["region", "sub_region", "pledge_signatory"]
    search_fields = ["name", "short_name", "gss_code", "dfe_code"]
    list_select_related = ["region", "sub_region"]
    autocomplete_fields = ["organisation"]
