"""The portal's URLs. Every page is reached through a view that declares its action (see pledge_portal/access)."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import include, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from agencies.urls import api_urlpatterns as agencies_api
from dashboards.urls import api_urlpatterns as dashboards_api
from dfe.urls import api_urlpatterns as dfe_api
from pledge_portal.core import views as core_views
from pledge_portal.jobs.urls import api_urlpatterns as jobs_api
from rates.urls import api_urlpatterns as rates_api
from references.urls import api_urlpatterns as references_api
from returns.urls import api_urlpatterns as returns_api


class SchemaView(SpectacularAPIView):
    action_required = "api.docs"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its start-up script served as a file (``?script``) and its style moved to one, so the
    page works under the portal's Content-Security-Policy, which allows no inline script or style."""

    action_required = "api.docs"
    template_name = "core/api_docs.html"


def admin_login(request, extra_context=None):
    """The admin's own sign-in would skip two-factor: send everyone through the portal's sign-in.
    A signed-in user who is not a platform admin is refused, rather than sent round in a loop."""
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    if request.user.is_authenticated:
        if request.user.is_active and request.user.is_staff:
            return redirect(next_url)
        raise PermissionDenied("The admin is for platform admins only.")
    return redirect_to_login(next_url, reverse("account_login"))


admin.site.login = admin_login
admin.site.site_header = "London Pledge portal administration"
admin.site.site_title = "London Pledge portal admin"

api_v1 = [
    *agencies_api,
    *dashboards_api,
    *jobs_api,
    *rates_api,
    *references_api,
    *returns_api,
    *dfe_api,
]

urlpatterns = [
    path("", core_views.HomeView.as_view(), name="home"),
    path("healthz", core_views.HealthView.as_view(), name="healthz"),
    path("", include("pledge_portal.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("audit/", include("pledge_portal.audit.urls")),
    path("jobs/", include("pledge_portal.jobs.urls")),
    path("boroughs/", include("boroughs.urls")),
    path("agencies/", include("agencies.urls")),
    path("rates/", include("rates.urls")),
    path("references/", include("references.urls")),
    path("returns/", include("returns.urls")),
    path("returns/packs/", include("packs.urls")),
    path("dfe/", include("dfe.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

handler400 = core_views.bad_request
handler403 = core_views.permission_denied
handler404 = core_views.page_not_found
handler500 = core_views.server_error
