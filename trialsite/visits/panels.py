"""Home-page panels: what is on a coordinator's plate today, and what is overdue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from trialsite.accounts.roles import PARTICIPANT_WRITERS
from trialsite.visits.models import Visit

PANEL_ROWS = 10


def _visible(request: HttpRequest):  # noqa: ANN202
    return (
        Visit.objects.visible_to(request.user)
        .select_related("participant", "study_site__study", "study_site__site")
        .order_by("planned_on", "pk")
    )


def today_panel(request: HttpRequest, grants: Any) -> dict[str, Any] | None:
    from trialsite.visits.views import my_visits_q

    if grants.scope(PARTICIPANT_WRITERS).empty:
        return None
    qs = (
        _visible(request)
        .filter(my_visits_q(request.user), planned_on=timezone.localdate())
        .exclude(status=Visit.Status.CANCELLED)
    )
    return {
        "visits": list(qs[:PANEL_ROWS]),
        "total": qs.count(),
        "empty": "No visits today.",
        "more_url": reverse("visits:my_today"),
        "more_label": "All my visits today",
    }


def overdue_panel(request: HttpRequest, grants: Any) -> dict[str, Any] | None:
    if grants.scope(PARTICIPANT_WRITERS).empty:
        return None
    qs = _visible(request).filter(status=Visit.Status.PLANNED, planned_on__lt=timezone.localdate())
    return {
        "visits": list(qs[:PANEL_ROWS]),
        "total": qs.count(),
        "empty": "Nothing overdue.",
        "more_url": reverse("visits:overdue"),
        "more_label": "All overdue visits",
    }
