from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Call intake"

    def ready(self) -> None:
        from incidents import navigation, policies  # noqa: F401  (rules and menu entries)
