"""The London Pledge portal project package: settings, URLs, the Celery app and the shared apps."""

from .celery import app as celery_app

__all__ = ["celery_app"]
