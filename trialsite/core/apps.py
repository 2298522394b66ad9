from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "trialsite.core"
    label = "core"
