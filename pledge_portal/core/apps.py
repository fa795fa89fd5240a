from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pledge_portal.core"
    label = "core"
    verbose_name = "Portal core"

    def ready(self):
        from . import lookups  # noqa: F401  (registers ``any_of``)
