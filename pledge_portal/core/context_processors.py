from django.conf import settings

from .journeys import journeys_for


def portal(request) -> dict:
    """The navigation for this user, and the service name, on every page."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        path = request.path
        items = [
            {"title": j.title, "url": j.url, "current": path.startswith(j.url)}
            for j in journeys_for(user)
            if j.in_navigation
        ]
    return {"service_name": "London Pledge portal", "navigation": items, "demo_mode": settings.DEBUG}
