from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AccessConfig(AppConfig):
    name = "pledge_portal.access"
    label = "access"
    verbose_name = "Access policy"

    def ready(self) -> None:
        # Every app's actions are declared in its permissions.py, as the admin finds admin.py.
        autodiscover_modules("permissions")
