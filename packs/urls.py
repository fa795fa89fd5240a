"""Compliance pack pages, under /returns/packs/ as before they had an app of their own."""

from django.urls import path

from . import views

app_name = "packs"

urlpatterns = [
    path("", views.PackIndexView.as_view(), name="index"),
    path("periods/<int:pk>/", views.PeriodPacksView.as_view(), name="period"),
    path("periods/<int:pk>/build/", views.PackBuildView.as_view(), name="build"),
    path("<int:pk>/<slug:kind>/", views.PackDownloadView.as_view(), name="download"),
]
