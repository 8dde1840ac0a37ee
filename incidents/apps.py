from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Call intake"

    def ready(self) -> None:
        from incidents import navigation, policies, receivers  # noqa: F401  (rules, menu, handlers)
