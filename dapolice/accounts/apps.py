from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "dapolice.accounts"
    label = "accounts"
    verbose_name = "Users, roles and agencies"

    def ready(self) -> None:
        from dapolice.accounts import navigation, policies, receivers  # noqa: F401
