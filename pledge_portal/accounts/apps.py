from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pledge_portal.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers that revoke API tokens
