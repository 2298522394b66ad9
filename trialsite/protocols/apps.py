from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    name = "trialsite.protocols"
    label = "protocols"

    def ready(self) -> None:
        from trialsite.core.navigation import NavItem, register

        register(NavItem("Protocols", "protocols:version_list", order=35))
