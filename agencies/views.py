"""Agencies and MSPs known to the portal, for the regional team."""

from django.views.generic import ListView

from pledge_portal.access.views import ActionRequiredMixin

from .selectors import agencies_visible_to, msps_visible_to


class AgencyListView(ActionRequiredMixin, ListView):
    action_required = "agency.register"
    template_name = "agencies/agency_list.html"
    context_object_name = "agencies"
    paginate_by = 100

    def get_queryset(self):
        return agencies_visible_to(self.request.user)

    def get_context_data(self, **kwargs):
        return super().get_context_data(msps=msps_visible_to(self.request.user), **kwargs)
