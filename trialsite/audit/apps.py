from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "trialsite.audit"
    label = "audit"

    def ready(self) -> None:
        from trialsite.core.navigation import NavItem, register

        register(NavItem("Audit log", "audit:log", order=90, audit_only=True))
