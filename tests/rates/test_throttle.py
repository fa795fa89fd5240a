"""The rate check's throttle (``pledge_portal.core.throttling``): a sliding window counted in one round trip to
Redis, and DRF's own throttle where the cache is not Redis."""

import secrets
from datetime import date

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from pledge_portal.accounts.roles import Role
from pledge_portal.core import throttling
from tests.conftest import require_service

from .helpers import publish_card

PERIOD = 60  # "/min"


@pytest.fixture
def london(world, settings):
    settings.DEFAULT_REGION_CODE = world.own.region.code
    return publish_card(world.own.region, world.own.users[Role.REGIONAL_ANALYST], effective_from=date(2025, 4, 1))


@pytest.fixture
def limited(settings):
    """Four checks a minute."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "rates_anon": "4/min"},
    }


@pytest.fixture
def redis_cache(settings):
    url = django_settings.REDIS_URL
    require_service("Redis", bool(url), "set REDIS_URL (e.g. redis://127.0.0.1:6379/0) to test the Redis throttle")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}}
    return url


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, set by the test: the start of a period, well after 1970."""
    now = [PERIOD * 29_000_000]
    monkeypatch.setattr(throttling.SlidingWindowThrottle, "timer", lambda self: now[0])
    return now


def _address() -> str:
    """An address of the test's own, so that parallel test processes sharing one Redis never share a count."""
    return "2001:db8::" + ":".join(secrets.token_hex(2) for _ in range(3))


def _checks(client, address: str, n: int) -> list:
    question = {"role": "social-worker", "engagement_type": "paye", "date": "2026-06-01", "hourly_rate": "38.50"}
    url = reverse("api-rates-check")
    return [client.post(url, question, content_type="application/json", REMOTE_ADDR=address) for _ in range(n)]


def test_the_window_counts_this_periods_checks_and_a_share_of_the_last_periods(
    london, limited, redis_cache, clock, client_for
):
    client, address = client_for(None), _address()
    start = clock[0]
    clock[0] = start + 10
    answers = _checks(client, address, 5)
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 429]
    assert answers[-1]["Retry-After"] == str(PERIOD - 10)  # when the next period starts

    # Half-way through the next period, half of the last period's five (refused ones count) still weigh: 2.5.
    clock[0] = start + PERIOD + PERIOD // 2
    assert [a.status_code for a in _checks(client, address, 2)] == [200, 429]  # 3.5 is within 4; 4.5 is not

    # Another address is counted on its own.
    assert [a.status_code for a in _checks(client, _address(), 4)] == [200] * 4

    # Two periods on, the five are out of the window; the last period's two weigh almost fully.
    clock[0] = start + 2 * PERIOD + 1
    assert [a.status_code for a in _checks(client, address, 3)] == [200, 200, 429]  # 2 x 59/60 + 1, + 2, + 3


def test_without_redis_the_check_is_throttled_by_drfs_own_counting(london, limited, settings, client_for):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    statuses = [a.status_code for a in _checks(client_for(None), _address(), 5)]
    assert statuses == [200, 200, 200, 200, 429]
