"""The audit log page and its CSV export, for regional analysts and platform admins."""

from django.contrib import messages
from django.shortcuts import redirect
from django.views.generic import ListView

from pledge_portal.access.views import ActionRequiredMixin
from pledge_portal.jobs.services import start_task_run

from .forms import AuditFilterForm
from .selectors import audit_events_visible_to, filter_audit_events
from .tasks import export_audit_log


class AuditLogView(ActionRequiredMixin, ListView):
    action_required = "audit.read"
    template_name = "audit/log.html"
    context_object_name = "events"
    paginate_by = 50

    def get_form(self) -> AuditFilterForm:
        return AuditFilterForm(self.request.GET or None)

    def get_queryset(self):
        form = self.form = self.get_form()
        qs = audit_events_visible_to(self.request.user)
        if form.is_bound and form.is_valid():
            qs = filter_audit_events(qs, **form.filters())
        return qs

    def get_context_data(self, **kwargs):
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(form=self.form, query=query.urlencode(), **kwargs)

    def post(self, request):
        """Start a CSV export of the events the current filters select."""
        form = AuditFilterForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Correct the filters before exporting.")
            return redirect("audit:log")
        filters = {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in form.filters().items()}
        organisation = request.user.organisations[0] if len(request.user.organisations) == 1 else None
        run = start_task_run(
            task=export_audit_log,
            kind="audit.export",
            action="audit.read",
            label="Audit log export (CSV)",
            by=request.user,
            organisation=organisation,
            parameters=filters,
        )
        return redirect("jobs:detail", pk=run.pk)
