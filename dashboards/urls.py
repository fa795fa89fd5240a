"""Dashboards: regional, borough and agency (DESIGN.md section 6). Each page's CSV downloads are the same URL
with ``?download=<panel>``."""

from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("regions/<int:pk>/", views.RegionDashboardView.as_view(), name="region"),
    path("boroughs/<int:pk>/", views.BoroughDashboardView.as_view(), name="borough"),
    path("agencies/<int:pk>/", views.AgencyDashboardView.as_view(), name="agency"),
]
