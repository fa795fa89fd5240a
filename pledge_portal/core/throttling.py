"""A rate limit that costs one round trip to Redis: for the open, busiest endpoints (the rate check).

DRF's own throttles keep, per address, the time of every request in the last period: each request reads that
list from the cache, unpickles it, trims it and writes it back. At the rate check's 600 a minute the list is
hundreds of floats long, and that cost some twenty times the check itself.

``SlidingWindowThrottle`` counts instead: one counter per address per period (Redis ``INCR``), and the
counter of the period before, weighted by how much of it still lies within the last period (the *sliding
window counter*). With both read in one pipeline, a request costs a single round trip, whatever the rate.
The count is an estimate (it assumes the earlier period's requests were spread evenly), never more generous
than one period's limit plus the part of the earlier period's still in the window; a refused request counts
too, so a client that keeps asking stays refused. Without Redis (a developer's machine with the in-process
cache) it is DRF's own throttle.
"""

from functools import cache as once_per_process

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import AnonRateThrottle


@once_per_process
def _client(location: str) -> redis.Redis:
    return redis.Redis.from_url(location)


def _redis() -> redis.Redis | None:
    """The Redis server the default cache uses, or None when the cache is not Redis."""
    if not isinstance(caches["default"], RedisCache):
        return None
    location = settings.CACHES["default"]["LOCATION"]
    return _client(location if isinstance(location, str) else location[0])


class SlidingWindowThrottle(AnonRateThrottle):
    """DRF's anonymous throttle (keyed by the client's address, ``NUM_PROXIES`` as configured), counted in one
    round trip to Redis."""

    def allow_request(self, request, view) -> bool:
        client = _redis()
        if client is None:
            return super().allow_request(request, view)
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        current, earlier = (self.cache.make_key(f"{self.key}:{w}") for w in (window, window - 1))
        pipe = client.pipeline(transaction=False)
        pipe.incr(current)
        pipe.expire(current, 2 * self.duration)  # long enough to be the earlier period of the next one
        pipe.get(earlier)
        count, _, before = pipe.execute()
        passed = (now - window * self.duration) / self.duration  # how far into this period we are, 0 to 1
        self.estimate = count + int(before or 0) * (1 - passed)
        self.next_period_in = (window + 1) * self.duration - now
        return self.estimate <= self.num_requests

    def wait(self) -> float | None:
        if _redis() is None:
            return super().wait()
        return self.next_period_in
