"""DfE return pages and downloads."""

from django.urls import path

from . import api, views

app_name = "dfe"

urlpatterns = [
    path("", views.DfeIndexView.as_view(), name="index"),
    path("periods/<int:pk>/", views.DfePeriodView.as_view(), name="period"),
    path("periods/<int:pk>/boroughs/<int:borough>/return.xlsx", views.BoroughReturnView.as_view(), name="borough"),
    path(
        "periods/<int:pk>/boroughs/<int:borough>/assignments.csv",
        views.BoroughAssignmentsView.as_view(),
        name="borough-assignments",
    ),
    path("periods/<int:pk>/extract/", views.ExtractBuildView.as_view(), name="extract-build"),
    path("extracts/<int:pk>/", views.ExtractDownloadView.as_view(), name="extract-download"),
]

api_urlpatterns = [
    path("dfe/periods/<int:pk>/", api.DfePeriodApi.as_view(), name="api-dfe-period"),
    path(
        "dfe/periods/<int:pk>/boroughs/<int:borough>/return.xlsx",
        api.BoroughReturnApi.as_view(),
        name="api-dfe-borough",
    ),
    path(
        "dfe/periods/<int:pk>/boroughs/<int:borough>/assignments.csv",
        api.BoroughAssignmentsApi.as_view(),
        name="api-dfe-borough-assignments",
    ),
    path("dfe/extracts/<int:pk>/", api.ExtractApi.as_view(), name="api-dfe-extract"),
]
