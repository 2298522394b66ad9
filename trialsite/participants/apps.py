from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "trialsite.participants"
    label = "participants"
