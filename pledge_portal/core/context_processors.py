from django.conf import settings

from .journeys import journeys_for


def portal(request) -> dict:
    """The navigation for this user, and the service name, on every page."""
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        path = request.path
        items = [{"title": j.title, "url": j.url, "current": False} for j in journeys_for(user) if j.in_navigation]
        # The current item is the one whose address is the longest start of this page's (packs live under
        # /returns/packs/: that is Compliance packs, not Returns).
        matching = [item for item in items if path.startswith(item["url"])]
        if matching:
            max(matching, key=lambda item: len(item["url"]))["current"] = True
    return {"service_name": "London Pledge portal", "navigation": items, "demo_mode": settings.DEBUG}
