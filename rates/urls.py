from django.urls import path

from . import api, views

app_name = "rates"

urlpatterns = [
    path("", views.CurrentCapsView.as_view(), name="current"),
    path("check/", views.CheckRateView.as_view(), name="check"),
    path("cards/", views.RateCardListView.as_view(), name="cards"),
    path("cards/new/", views.RateCardCreateView.as_view(), name="card-create"),
    path("cards/import/", views.RateCardImportView.as_view(), name="card-import"),
    path("cards/import/problems.csv", views.RateCardImportProblemsView.as_view(), name="card-import-problems"),
    path("cards/<int:pk>/", views.RateCardDetailView.as_view(), name="card-detail"),
    path("cards/<int:pk>/export.xlsx", views.RateCardExportView.as_view(), name="card-export"),
    path("cards/<int:pk>/edit/", views.RateCardEditView.as_view(), name="card-edit"),
    path("cards/<int:pk>/publish/", views.RateCardPublishView.as_view(), name="card-publish"),
    path("cards/<int:pk>/impact/", views.RateCardImpactView.as_view(), name="card-impact"),
    path("cards/<int:pk>/delete/", views.RateCardDeleteView.as_view(), name="card-delete"),
    path("sign-offs/", views.BreachSignOffListView.as_view(), name="sign-offs"),
    path("sign-offs/new/", views.BreachSignOffCreateView.as_view(), name="sign-off-create"),
    path("sign-offs/<int:pk>/", views.BreachSignOffDetailView.as_view(), name="sign-off-detail"),
]

api_urlpatterns = [
    path("rates/current/", api.CurrentCapsApi.as_view(), name="api-rates-current"),
    path("rates/cards/", api.RateCardListApi.as_view(), name="api-rates-cards"),
    path("rates/check/", api.RateCheckApi.as_view(), name="api-rates-check"),
]
