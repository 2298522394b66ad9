from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "trialsite.demo"
    label = "demo"
