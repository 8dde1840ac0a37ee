from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "risk"
    verbose_name = "DASH risk assessment"

    def ready(self) -> None:
        # Access rules, menu entries, and the deadline handlers (receivers).
        from risk import navigation, policies, receivers  # noqa: F401
