from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "dapolice.alerts"
    label = "alerts"
    verbose_name = "Alerts and deadlines"

    def ready(self) -> None:
        from dapolice.alerts import policies  # noqa: F401
