"""Who is asking: the client's address, trusting only the proxies the portal is told about.

Behind ``TRUSTED_PROXY_COUNT`` proxies, each appends the address it saw to ``X-Forwarded-For``; the one the
outermost trusted proxy saw (that many from the right) is the client. Anything further left was written by
the client itself and is ignored, so a forged header cannot reset a limit. With no proxy (the default), the
address is the connection's. DRF's throttles read the same setting (``NUM_PROXIES``).
"""

from django.conf import settings


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    # Fewer hops than proxies: the request did not come through all of them, so only the connection is known.
    return hops[-count] if len(hops) >= count else remote
