"""The Celery application: Redis broker and result store, beat for schedules, tasks found in every app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge_portal.settings")

app = Celery("pledge_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
