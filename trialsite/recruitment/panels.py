"""Home-page panel: enrollment against target per study site in scope, for network and site roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from trialsite.accounts.roles import INTERNAL_ROLES
from trialsite.recruitment.metrics import enrollment_vs_target


def enrollment_panel(request: HttpRequest, grants: Any) -> dict[str, Any] | None:
    """Shown to people who work network-wide or at a whole site; study-level roles use the funnel page."""
    scope = grants.scope(INTERNAL_ROLES)
    if not (scope.network or scope.sites):
        return None
    return {"rows": enrollment_vs_target(request.user)}
