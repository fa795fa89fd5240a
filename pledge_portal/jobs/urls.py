from django.urls import path

from . import views

app_name = "jobs"

urlpatterns = [
    path("", views.TaskRunListView.as_view(), name="list"),
    path("<uuid:pk>/", views.TaskRunDetailView.as_view(), name="detail"),
    path("<uuid:pk>/download/", views.TaskRunDownloadView.as_view(), name="download"),
]

api_urlpatterns = [
    path("jobs/<uuid:pk>/", views.TaskRunApiView.as_view(), name="api-job-detail"),
]
