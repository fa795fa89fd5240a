"""Dashboards: regional, borough and agency (DESIGN.md section 6). Each page's CSV downloads are the same URL
with ``?download=<panel>``."""

from django.urls import path

from . import api, bidding_views, views

app_name = "dashboards"

urlpatterns = [
    path("", views.IndexView.as_view(), name="index"),
    path("regions/<int:pk>/", views.RegionDashboardView.as_view(), name="region"),
    path("boroughs/<int:pk>/", views.BoroughDashboardView.as_view(), name="borough"),
    path("agencies/<int:pk>/", views.AgencyDashboardView.as_view(), name="agency"),
    path("regions/<int:pk>/bidding-up/", bidding_views.RegionBiddingUpView.as_view(), name="bidding-region"),
    path(
        "regions/<int:pk>/bidding-up/threshold/",
        bidding_views.BiddingUpThresholdView.as_view(),
        name="bidding-threshold",
    ),
    path("boroughs/<int:pk>/bidding-up/", bidding_views.BoroughBiddingUpView.as_view(), name="bidding-borough"),
]

api_urlpatterns = [
    path("dashboards/regions/<int:pk>/bidding-up/", api.RegionBiddingUpApi.as_view(), name="api-bidding-up"),
]
