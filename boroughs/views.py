"""The directory of authorities: names, codes, sub-regions and who signed the Pledge (public data)."""

from django.views.generic import ListView

from pledge_portal.access.views import ActionRequiredMixin

from .selectors import borough_directory


class BoroughDirectoryView(ActionRequiredMixin, ListView):
    action_required = "borough.directory"
    template_name = "boroughs/directory.html"
    context_object_name = "boroughs"

    def get_queryset(self):
        return borough_directory()
