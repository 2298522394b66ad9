"""Home-page panels for coordinators: prospects waiting for first contact, re-consent due."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from trialsite.accounts.roles import PARTICIPANT_WRITERS
from trialsite.participants import services
from trialsite.participants.models import Participant

SHOWN = 5


def _coordinator_scope(request: HttpRequest, grants: Any) -> Any:
    """Participants the user works with (site manager / site staff), or None when not a coordinator."""
    if grants.scope(PARTICIPANT_WRITERS).empty:
        return None
    return Participant.objects.visible_to(request.user, "change").select_related("study_site__site")


def awaiting_contact(request: HttpRequest, grants: Any) -> dict[str, Any] | None:
    qs = _coordinator_scope(request, grants)
    if qs is None:
        return None
    qs = services.awaiting_first_contact(qs)
    rows = [
        {
            "url": p.get_absolute_url(),
            "label": p.study_label,
            "note": f"referred {p.referred_on:%Y-%m-%d}, waiting {(services.site_today(p.study_site) - p.referred_on).days} days",
        }
        for p in qs[:SHOWN]
    ]
    return {"count": qs.count(), "rows": rows, "url": reverse("participants:awaiting_contact")}


def reconsent_due(request: HttpRequest, grants: Any) -> dict[str, Any] | None:
    qs = _coordinator_scope(request, grants)
    if qs is None:
        return None
    qs = services.reconsent_due(qs).order_by("study_site", "pk")
    rows = [
        {"url": p.get_absolute_url(), "label": p.study_label, "note": f"on ICF {p.consent_label}"} for p in qs[:SHOWN]
    ]
    return {"count": qs.count(), "rows": rows, "url": reverse("participants:reconsent_due")}
