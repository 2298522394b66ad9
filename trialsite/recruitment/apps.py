from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    name = "trialsite.recruitment"
    label = "recruitment"

    def ready(self) -> None:
        from trialsite.accounts.roles import ALL_ROLES, IDENTITY_ROLES
        from trialsite.core.dashboard import Panel
        from trialsite.core.dashboard import register as register_panel
        from trialsite.core.navigation import NavItem, register
        from trialsite.recruitment.panels import enrollment_panel

        register(NavItem("Recruitment", "recruitment:metrics", order=40, roles=ALL_ROLES))
        register(NavItem("Imports", "recruitment:import_list", order=45, roles=frozenset(IDENTITY_ROLES)))
        register_panel(
            Panel(
                key="recruitment.enrollment",
                title="Enrollment against target",
                template="recruitment/_panel_enrollment.html",
                build=enrollment_panel,
                order=30,
            )
        )
