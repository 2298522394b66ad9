from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "trialsite.protocols"
    label = "protocols"
