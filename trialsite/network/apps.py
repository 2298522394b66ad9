from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "trialsite.network"
    label = "network"

    def ready(self) -> None:
        from trialsite.accounts.roles import INTERNAL_ROLES
        from trialsite.core.navigation import NavItem, register

        register(NavItem("Sites", "network:site_list", order=20))
        register(NavItem("Organizations", "network:organization_list", order=60, roles=INTERNAL_ROLES))
