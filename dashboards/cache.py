"""Dashboard figures kept in the cache between requests (``DASHBOARD_CACHE_SECONDS``; 0 turns it off).

The figures read accepted returns, which change only when a return is accepted or reopened, so a figure
computed once serves every reader until the data changes. Each key carries a *data version*: a digest of
the accepted returns (how many, the last accepted, the last changed), their checks (for the flags), the
reference requests (for turnaround) and the rate cards' fingerprint, read in three small queries once per
request. Any change to
those makes new keys, so a reader never sees figures older than the data; the timeout only bounds how long
unused entries stay. Whatever the cache holds, the figures themselves come from ``dashboards.figures``.
"""

import hashlib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import replace

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max

from returns.models import Return, ValidationRun

_version: ContextVar[str | None] = ContextVar("figures_data_version", default=None)
_this_request: ContextVar[dict | None] = ContextVar("figures_this_request", default=None)


def data_version() -> str:
    from rates.table import fingerprint
    from references.models import ReferenceRequest

    accepted = Return.objects.filter(status=Return.Status.ACCEPTED).aggregate(
        n=Count("pk"), top=Max("pk"), accepted=Max("accepted_at"), changed=Max("updated_at")
    )
    checks = ValidationRun.objects.filter(ret__status=Return.Status.ACCEPTED).aggregate(
        top=Max("pk"), finished=Max("finished_at")
    )  # the flags come from each accepted return's latest check
    requests = ReferenceRequest.objects.aggregate(n=Count("pk"), top=Max("pk"), closed=Max("closed_at"))
    raw = repr((sorted(accepted.items()), sorted(checks.items()), sorted(requests.items()), fingerprint()))
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


@contextmanager
def one_version():
    """Read the data version at most once within the block (one request)."""
    token, memo = _version.set(None), _this_request.set({})
    try:
        yield
    finally:
        _version.reset(token)
        _this_request.reset(memo)


def once(function, *args):
    """``function(*args)`` computed once within a ``one_version`` block (several panels of one page read the
    same coverage), and every time outside one."""
    memo = _this_request.get()
    if memo is None:
        return function(*args)
    key = (function, *args)
    if key not in memo:
        memo[key] = function(*args)
    return memo[key]


def once_within(function, scope, keep):
    """``function(scope)`` (a list of lines) computed once within a ``one_version`` block, as ``once`` does;
    and for a scope *within* one already computed in the block (the same filters, its quarters among that
    one's, its units a subset: a page's quarter comparison within the page's range), that one's lines for
    which ``keep(line, scope)`` holds, without a query."""
    memo = _this_request.get()
    if memo is None:
        return function(scope)
    key = (function, scope)
    if key not in memo:
        wider = next((k[1] for k in memo if k[0] is function and len(k) == 2 and _within(scope, k[1])), None)
        if wider is None:
            memo[key] = function(scope)
        else:
            memo[key] = [line for line in memo[(function, wider)] if keep(line, scope)]
    return memo[key]


def _within(scope, wider) -> bool:
    return (
        wider.units is None
        and wider.start <= scope.start
        and scope.end <= wider.end
        and replace(wider, start=scope.start, end=scope.end, units=scope.units) == scope
    )


def _part(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, frozenset):
        return ",".join(map(str, sorted(value)))
    return str(getattr(value, "pk", value))


def figure(function, scope, *args):
    """``function(scope, *args)`` from the cache if it was computed on the same data, else computed now."""
    seconds = settings.DASHBOARD_CACHE_SECONDS
    if not seconds:
        return function(scope, *args)
    version = _version.get()
    if version is None:
        version = data_version()
        _version.set(version)
    fields = (
        scope.start,
        scope.end,
        scope.region,
        scope.sub_region,
        scope.borough,
        scope.agency,
        scope.role,
        scope.units,
    )
    name = f"{function.__module__}.{function.__qualname__}"  # the rows' and the aggregates' namesakes apart
    key = ":".join(["figures", version, name, *map(_part, fields), *map(_part, args)])
    value = cache.get(key)
    if value is None:
        value = function(scope, *args)
        cache.set(key, value, seconds)
    return value
