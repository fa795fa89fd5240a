"""The portal's production settings for a load test: the same in every respect that costs time, with the
run's cache keys and Celery queue named apart (so a run shares a Redis database with nothing it could disturb,
and leaves nothing behind), and static files collected into the run's own folder."""

import os

from pledge_portal.settings import *  # noqa: F403

RUN = os.environ["LOAD_RUN"]
CACHES["default"]["KEY_PREFIX"] = f"load-{RUN}"  # noqa: F405
CELERY_TASK_DEFAULT_QUEUE = f"load-{RUN}"
STATIC_ROOT = os.environ["LOAD_STATIC_ROOT"]
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"load-{RUN}-"}  # results too
CELERY_RESULT_EXPIRES = 15 * 60  # and they expire, should a run be killed before it removes them
# Hashed names as in production, without compressing every file: the load does not fetch static files (a
# browser keeps them for a year), and compressing them all took longer than the rest of the set-up.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}  # noqa: F405
