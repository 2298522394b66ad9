from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "trialsite.recruitment"
    label = "recruitment"
