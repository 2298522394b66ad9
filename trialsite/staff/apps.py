from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "trialsite.staff"
    label = "staff"

    def ready(self) -> None:
        from trialsite.accounts.roles import INTERNAL_ROLES
        from trialsite.core.navigation import NavItem, register

        register(NavItem("People", "staff:person_list", order=40, roles=INTERNAL_ROLES))
