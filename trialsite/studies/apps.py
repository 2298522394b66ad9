from django.apps import AppConfig


class StudiesConfig(AppConfig):
    name = "trialsite.studies"
    label = "studies"

    def ready(self) -> None:
        from trialsite.core.navigation import NavItem, register

        register(NavItem("Studies", "studies:study_list", order=10))
        register(NavItem("Studies at sites", "studies:studysite_list", order=15))
