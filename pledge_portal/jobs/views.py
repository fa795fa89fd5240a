"""Pages that show a background job's progress and hand over its file."""

from django.http import FileResponse, Http404
from django.views import View
from django.views.generic import DetailView, ListView
from rest_framework import serializers
from rest_framework.generics import RetrieveAPIView

from pledge_portal.access.views import ActionRequiredMixin, ScopedObjectMixin, get_visible_or_404
from pledge_portal.audit import services as audit

from .models import TaskRun
from .selectors import task_runs_visible_to


class TaskRunListView(ActionRequiredMixin, ListView):
    action_required = "job.read"
    template_name = "jobs/list.html"
    context_object_name = "runs"
    paginate_by = 25

    def get_queryset(self):
        return task_runs_visible_to(self.request.user)


class TaskRunDetailView(ActionRequiredMixin, ScopedObjectMixin, DetailView):
    """Progress of one job. While it runs the page refreshes itself (no JavaScript needed)."""

    action_required = "job.read"
    scope = task_runs_visible_to
    template_name = "jobs/detail.html"
    context_object_name = "run"


class TaskRunDownloadView(ActionRequiredMixin, View):
    """The job's file, served only through this view after the access check, and audited."""

    action_required = "job.read"

    def get(self, request, pk):
        run = get_visible_or_404(task_runs_visible_to, request.user, pk=pk)
        if run.status != TaskRun.Status.SUCCEEDED or not run.output:
            raise Http404("This job has no file to download yet.")
        audit.record(request.user, "job.downloaded", run, detail={"kind": run.kind}, request=request)
        filename = run.output.name.rsplit("/", 1)[-1]
        return FileResponse(run.output.open("rb"), as_attachment=True, filename=filename)


class TaskRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = TaskRun
        fields = [
            "id",
            "kind",
            "label",
            "status",
            "progress",
            "message",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "result",
        ]


class TaskRunApiView(RetrieveAPIView):
    """The state of one background job, for pages that poll and for API clients."""

    action_required = "job.read"
    serializer_class = TaskRunSerializer

    def get_queryset(self):
        return task_runs_visible_to(self.request.user)
