from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "dapolice.health"
    label = "dapolice_health"
    verbose_name = "Health"
