from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and teams"

    def ready(self) -> None:
        from . import audit, login_throttle  # noqa: F401  (connects the auth signal receivers)
