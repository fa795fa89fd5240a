"""The Celery application: Redis broker and result store, beat for schedules, tasks found in every app."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge_portal.settings")

app = Celery("pledge_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _step_back(**kwargs):
    """Jobs (uploads, checks, packs) give way to the rate check when the cores are busy, as the pages pool
    does (``pledge_portal/gunicorn_conf.py``); ``JOBS_NICE`` (default 5; 0 leaves it)."""
    os.nice(int(os.environ.get("JOBS_NICE") or 5))
