from django.apps import AppConfig


class MatchingConfig(AppConfig):
    """The matching engine's own tables (weights models, labels): an app of its own so its
    migrations never collide with the call intake's."""

    name = "incidents.matching"
    label = "matching"
    verbose_name = "Person matching"
