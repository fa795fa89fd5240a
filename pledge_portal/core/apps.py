from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pledge_portal.core"
    label = "core"
    verbose_name = "Portal core"
