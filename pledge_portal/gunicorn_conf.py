"""gunicorn's settings for the portal's two pools of web processes (docs/decisions/0009-serving-shape-and-load-test.md).

    gunicorn -c python:pledge_portal.gunicorn_conf pledge_portal.wsgi:application              # pages
    PORTAL_POOL=rates gunicorn -c python:pledge_portal.gunicorn_conf pledge_portal.wsgi:application  # rate checks

- ``pages`` (the default): every page, download and API call. Threaded workers (gthread), so a request that
  waits on the database or a slow page does not hold up the next request in the same process.
- ``rates``: a small pool of its own for the rate check (``/api/v1/rates/`` and ``/rates/check/``, routed to
  it by the proxy in front; see docs/deployment.md). It answers in a few milliseconds, and agencies' systems
  call it all day: in a pool of its own it never queues behind a dashboard or an upload.

Sizes come from the environment (``WEB_WORKERS``, ``WEB_THREADS``, ``RATES_WORKERS``, ``WEB_TIMEOUT``) with
defaults for a small server (unset or empty: the default); ``--bind`` and the rest of the command line apply.

Priority: when the server's cores are all busy, the rate check comes first. The pages pool's workers lower
their own CPU priority by ``WEB_NICE`` (default 5; 0 leaves it) when they start, as the Celery worker's
processes do (``pledge_portal.celery``), so a rate check waits for a core only behind other rate checks.
"""

import os

pool = os.environ.get("PORTAL_POOL") or "pages"
if pool not in ("pages", "rates"):
    raise RuntimeError(f"PORTAL_POOL must be pages or rates, not {pool!r}")
cores = os.cpu_count() or 1

if pool == "pages":
    worker_class = "gthread"
    workers = int(os.environ.get("WEB_WORKERS") or max(2, cores))
    threads = int(os.environ.get("WEB_THREADS") or 4)
    timeout = int(os.environ.get("WEB_TIMEOUT") or 60)
else:
    # Sync workers: a check takes milliseconds, so two processes keep up with hundreds a second, and one
    # process per request in flight keeps each check off any other's GIL.
    worker_class = "sync"
    workers = int(os.environ.get("RATES_WORKERS") or 2)
    timeout = 10


def post_fork(server, worker):
    if pool == "pages":
        os.nice(int(os.environ.get("WEB_NICE") or 5))


keepalive = 5
graceful_timeout = 20
proc_name = f"pledge-{pool}"
