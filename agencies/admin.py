from django.contrib import admin

from .models import Agency, ManagedServiceProvider


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "companies_house_number"]
    search_fields = ["name", "companies_house_number"]
    autocomplete_fields = ["organisation"]


@admin.register(ManagedServiceProvider)
class ManagedServiceProviderAdmin(admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["boroughs"]
    autocomplete_fields = ["organisation"]
