from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "trialsite.visits"
    label = "visits"

    def ready(self) -> None:
        from trialsite.accounts.roles import PARTICIPANT_WRITERS
        from trialsite.core import dashboard
        from trialsite.core.navigation import NavItem, register
        from trialsite.visits import panels

        register(NavItem("Visits", "visits:visit_list", order=45))
        register(NavItem("Calendar", "visits:calendar", order=46))
        register(NavItem("Today", "visits:my_today", order=44, roles=frozenset(PARTICIPANT_WRITERS)))
        dashboard.register(
            dashboard.Panel("visits_today", "My visits today", "visits/panel_visits.html", panels.today_panel, order=20)
        )
        dashboard.register(
            dashboard.Panel(
                "visits_overdue", "Overdue visits", "visits/panel_visits.html", panels.overdue_panel, order=21
            )
        )
