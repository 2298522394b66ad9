from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "trialsite.participants"
    label = "participants"

    def ready(self) -> None:
        from trialsite.accounts.roles import PARTICIPANT_WRITERS
        from trialsite.core.dashboard import Panel
        from trialsite.core.dashboard import register as register_panel
        from trialsite.core.navigation import NavItem, register
        from trialsite.participants import panels

        register(NavItem("Participants", "participants:participant_list", order=30))
        register(NavItem("Re-consent due", "participants:reconsent_due", order=31, roles=PARTICIPANT_WRITERS))
        register(NavItem("Awaiting contact", "participants:awaiting_contact", order=32, roles=PARTICIPANT_WRITERS))
        register(NavItem("Consent forms", "participants:icf_list", order=33))
        register_panel(
            Panel(
                "participants.awaiting_contact",
                "Prospects waiting for first contact",
                "participants/panel.html",
                panels.awaiting_contact,
                order=20,
            )
        )
        register_panel(
            Panel(
                "participants.reconsent_due",
                "Re-consent due",
                "participants/panel.html",
                panels.reconsent_due,
                order=21,
            )
        )
