from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "dapolice.common"
    label = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from dapolice.common import checks  # noqa: F401  (registers our system checks)
