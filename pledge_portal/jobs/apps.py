from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "pledge_portal.jobs"
    label = "jobs"
    verbose_name = "Background jobs"
