from django.urls import path

from . import views

app_name = "boroughs"

urlpatterns = [
    path("", views.BoroughDirectoryView.as_view(), name="directory"),
]
