from django.urls import path

from . import api, views

app_name = "returns"

urlpatterns = [
    path("", views.ReturnListView.as_view(), name="list"),
    path("start/", views.StartReturnView.as_view(), name="start"),
    path("rules/", views.RulesView.as_view(), name="rules"),
    path("placements/flagged/", views.PlacementFlagsView.as_view(), name="placement-flags"),
    path("periods/", views.PeriodListView.as_view(), name="periods"),
    path("periods/new/", views.PeriodCreateView.as_view(), name="period-create"),
    path("periods/<int:pk>/", views.CompletenessView.as_view(), name="completeness"),
    path("periods/<int:pk>/extend/", views.PeriodExtendView.as_view(), name="period-extend"),
    path("periods/<int:pk>/lock/", views.PeriodLockView.as_view(), name="period-lock"),
    path("periods/<int:pk>/leaver-matches/", views.LeaverMatchesView.as_view(), name="leaver-matches"),
    path("<int:pk>/", views.ReturnDetailView.as_view(), name="detail"),
    path("<int:pk>/rows/new/", views.RowFormView.as_view(), name="row-add"),
    path("<int:pk>/rows/<int:row>/", views.RowFormView.as_view(), name="row-edit"),
    path("<int:pk>/rows/<int:row>/end/", views.RowEndView.as_view(), name="row-end"),
    path("<int:pk>/rows/<int:row>/remove/", views.RowRemoveView.as_view(), name="row-remove"),
    path("<int:pk>/rows/<int:row>/breach/", views.RowBreachView.as_view(), name="row-breach"),
    path("<int:pk>/rows/<int:row>/exception/", views.RowExceptionView.as_view(), name="row-exception"),
    path("<int:pk>/workforce/", views.WorkforceView.as_view(), name="workforce"),
    path("<int:pk>/leavers/", views.LeaversView.as_view(), name="leavers"),
    path("<int:pk>/leavers/new/", views.LeaverAddView.as_view(), name="leaver-add"),
    path("<int:pk>/leavers/<int:leaver>/remove/", views.LeaverRemoveView.as_view(), name="leaver-remove"),
    path("<int:pk>/template.xlsx", views.TemplateDownloadView.as_view(), name="template"),
    path("<int:pk>/upload/", views.UploadView.as_view(), name="upload"),
    path("<int:pk>/upload/problems.csv", views.UploadProblemsView.as_view(), name="upload-problems"),
    path("<int:pk>/upload/<uuid:run>/", views.UploadStatusView.as_view(), name="upload-status"),
    path("<int:pk>/dfe/<int:borough>.csv", views.DfeExportView.as_view(), name="dfe-export"),
    path("<int:pk>/check/", views.CheckView.as_view(), name="check"),
    path("<int:pk>/findings/", views.FindingsView.as_view(), name="findings"),
    path("<int:pk>/versions/<int:number>/", views.SnapshotView.as_view(), name="snapshot"),
    path("<int:pk>/changes/", views.ChangesView.as_view(), name="changes"),
    path("<int:pk>/changes.csv", views.ChangesCsvView.as_view(), name="changes-csv"),
    path("<int:pk>/<slug:step>/", views.WorkflowView.as_view(), name="workflow"),
]

api_urlpatterns = [
    path("returns/", api.ReturnListApi.as_view(), name="api-returns"),
    path("returns/<int:pk>/", api.ReturnDetailApi.as_view(), name="api-return"),
    path("returns/<int:pk>/assignments/", api.ReturnAssignmentsApi.as_view(), name="api-return-assignments"),
    path("returns/<int:pk>/validate/", api.ReturnValidateApi.as_view(), name="api-return-validate"),
    path("returns/<int:pk>/findings/", api.ReturnFindingsApi.as_view(), name="api-return-findings"),
    path("returns/<int:pk>/changes/", api.ReturnChangesApi.as_view(), name="api-return-changes"),
    path("returns/<int:pk>/workforce/", api.ReturnWorkforceApi.as_view(), name="api-return-workforce"),
    path("returns/<int:pk>/leavers/", api.ReturnLeaversApi.as_view(), name="api-return-leavers"),
    path("returns/<int:pk>/explanations/", api.ReturnExplanationsApi.as_view(), name="api-return-explanations"),
    path("returns/<int:pk>/submit/", api.ReturnSubmitApi.as_view(), name="api-return-submit"),
]
