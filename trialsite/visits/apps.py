from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "trialsite.visits"
    label = "visits"
