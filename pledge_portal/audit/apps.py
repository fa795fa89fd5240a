from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "pledge_portal.audit"
    label = "audit"
    verbose_name = "Audit log"
