"""Home pages, the health check and error pages."""

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views import View

from pledge_portal.access.views import ActionRequiredMixin

from . import api
from .home import home_context
from .journeys import journeys_for

log = logging.getLogger(__name__)


class HomeView(ActionRequiredMixin, View):
    """Signed in: the home page made for the user's role. Signed out: what the portal is, and sign in."""

    action_required = "portal.home"

    def get(self, request):
        if not request.user.is_authenticated:
            return render(request, "core/landing.html")
        context = home_context(request.user)
        context["journeys"] = [j for j in journeys_for(request.user) if j.description]
        return render(request, "core/home.html", context)


class HealthView(View):
    """``GET /healthz``: JSON on the database and the queue; 503 if either is down. Open to probes."""

    action_required = "portal.home"

    def get(self, request):
        checks = {"database": _check_database(), "queue": _check_queue()}
        healthy = all(c["ok"] for c in checks.values())
        return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means unhealthy; the probe must answer, not raise
        log.warning("Health check: database unavailable: %s", exc)
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _check_queue() -> dict:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "in-process", "detail": "No REDIS_URL: tasks run in the web process."}
    import redis

    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        client.ping()
        queued = client.llen("celery")
    except Exception as exc:  # any failure means unhealthy
        log.warning("Health check: broker unavailable: %s", exc)
        return {"ok": False, "mode": "redis", "error": type(exc).__name__}
    return {"ok": True, "mode": "redis", "queued": queued}


# Under /api/ every error Django answers itself is JSON with a message, as the API's own refusals are.


def bad_request(request, exception=None):
    if api.is_api(request):
        return api.json_error(413) if isinstance(exception, RequestDataTooBig) else api.json_error(400)
    return render(request, "400.html", status=400)


def permission_denied(request, exception=None):
    if api.is_api(request):
        return api.json_error(403, str(exception or ""))
    return render(request, "403.html", {"reason": str(exception or "")}, status=403)


def page_not_found(request, exception=None):
    if api.is_api(request):
        return api.json_error(404)
    return render(request, "404.html", status=404)


def server_error(request):
    if api.is_api(request):
        return api.json_error(500)
    # No context processors: the failure may be in one of them.
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render({"service_name": "London Pledge portal"}))
