"""Settings for the benchmark server: the portal's own, plus a bare JSON view to compare against."""

from pledge_portal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
SECURE_SSL_REDIRECT = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "rates_anon": "1000000/min"}
LOGGING = {"version": 1, "disable_existing_loggers": True, "root": {"level": "ERROR", "handlers": []}}
