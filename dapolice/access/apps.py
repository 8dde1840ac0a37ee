from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "dapolice.access"
    label = "access"
    verbose_name = "Access policy"
