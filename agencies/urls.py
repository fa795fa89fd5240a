from django.urls import path

from . import api, views

app_name = "agencies"

urlpatterns = [
    path("", views.AgencyListView.as_view(), name="list"),
]

api_urlpatterns = [
    path("agencies/", api.AgencyRegisterApi.as_view(), name="api-agencies"),
]
