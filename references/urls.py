from django.urls import path

from . import api, contact_views, template_views, views

app_name = "references"

urlpatterns = [
    path("", views.ReferenceListView.as_view(), name="references"),
    path("upload/", views.ReferenceUploadView.as_view(), name="reference-upload"),
    path("<int:pk>/", views.ReferenceDetailView.as_view(), name="reference-detail"),
    path("<int:pk>/download/", views.ReferenceDownloadView.as_view(), name="reference-download"),
    path("requests/", views.RequestListView.as_view(), name="requests"),
    path("requests/new/", views.RequestCreateView.as_view(), name="request-create"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("requests/<int:pk>/complete/", views.RequestCompleteView.as_view(), name="request-complete"),
    path("requests/<int:pk>/decline/", views.RequestDeclineView.as_view(), name="request-decline"),
    path("requests/<int:pk>/cancel/", views.RequestCancelView.as_view(), name="request-cancel"),
    path("proposals/", views.ProposalListView.as_view(), name="proposals"),
    path("proposals/new/", views.ProposalCreateView.as_view(), name="proposal-create"),
    path("cool-off/", template_views.CoolOffCheckView.as_view(), name="cool-off-check"),
    path(
        "regions/<int:pk>/shared-referee-contacts/",
        contact_views.SharedContactsView.as_view(),
        name="shared-contacts",
    ),
    path("templates/", template_views.TemplateListView.as_view(), name="templates"),
    path("templates/new/", template_views.TemplateDraftView.as_view(), name="template-draft"),
    path("templates/<int:version>/", template_views.TemplateDetailView.as_view(), name="template-detail"),
    path("templates/<int:version>/edit/", template_views.TemplateEditView.as_view(), name="template-edit"),
    path("templates/<int:version>/publish/", template_views.TemplatePublishView.as_view(), name="template-publish"),
]

api_urlpatterns = [
    path("references/requests/", api.ReferenceRequestListApi.as_view(), name="api-reference-requests"),
    path("references/requests/<int:pk>/", api.ReferenceRequestDetailApi.as_view(), name="api-reference-request"),
    path("references/", api.ReferenceListApi.as_view(), name="api-references"),
    path("references/<int:pk>/", api.ReferenceDetailApi.as_view(), name="api-reference"),
]
