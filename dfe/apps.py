from django.apps import AppConfig


class DfeConfig(AppConfig):
    name = "dfe"
    verbose_name = "DfE return and census"
