from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "dapolice.common"
    label = "common"
    verbose_name = "Common"
