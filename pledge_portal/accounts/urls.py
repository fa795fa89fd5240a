from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisations"),
    path("organisations/<slug:slug>/members/", views.MembersView.as_view(), name="members"),
    path("organisations/<slug:slug>/members/<int:pk>/remove/", views.RemoveMemberView.as_view(), name="member-remove"),
    path(
        "organisations/<slug:slug>/members/<int:pk>/revoke-api-token/",
        views.RevokeMemberTokenView.as_view(),
        name="member-token-revoke",
    ),
    path(
        "organisations/<slug:slug>/invitations/<int:pk>/revoke/",
        views.RevokeInvitationView.as_view(),
        name="invitation-revoke",
    ),
    path("invitations/<str:token>/", views.InvitationView.as_view(), name="invitation"),
    path("account/", views.AccountView.as_view(), name="account"),
    path("account/api-token/", views.ApiTokenView.as_view(), name="api-token"),
]
