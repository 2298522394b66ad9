from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "trialsite.accounts"
    label = "accounts"

    def ready(self) -> None:
        from trialsite.accounts import signals  # noqa: F401  (security events, deactivation)
        from trialsite.accounts.dashboard import register_panels
        from trialsite.accounts.roles import Role
        from trialsite.core.navigation import NavItem, register

        register(NavItem("Users", "accounts:user_list", order=95, roles=frozenset({Role.NETWORK_ADMIN})))
        register_panels()
