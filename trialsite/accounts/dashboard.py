"""Home-page panels of the foundation, one per kind of person (issue 2 §6).

Each panel answers what is on this person's plate from their scope, in a fixed number of
queries whatever the size of the network (pinned in tests/test_home.py).
"""

from __future__ import annotations

import statistics
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from django.utils import timezone

from trialsite.accounts.roles import Role
from trialsite.accounts.scoping import Grants
from trialsite.core.dashboard import Panel, register

RECENT = 10


def network_overview(request: HttpRequest, grants: Grants) -> dict[str, Any] | None:
    """Network roles: sites by status, studies at sites by life-cycle status, start-up cycle times."""
    from trialsite.network.models import Site
    from trialsite.studies.models import StudySite

    if not grants.scope().network:
        return None
    site_labels = dict(Site.Status.choices)
    ss_labels = dict(StudySite.Status.choices)
    sites = {r["status"]: r["n"] for r in Site.objects.values("status").annotate(n=Count("pk")).order_by()}
    study_sites = {r["status"]: r["n"] for r in StudySite.objects.values("status").annotate(n=Count("pk")).order_by()}
    recent = list(
        StudySite.objects.filter(activated_on__isnull=False)
        .select_related("study", "site")
        .order_by("-activated_on", "pk")[:RECENT]
    )
    cycles = []
    for ss in recent:
        days = (ss.activated_on - ss.selected_on).days if ss.selected_on else None
        cycles.append({"study_site": ss, "selected_on": ss.selected_on, "activated_on": ss.activated_on, "days": days})
    known = [c["days"] for c in cycles if c["days"] is not None]
    return {
        "sites_by_status": [(site_labels[k], sites.get(k, 0)) for k in site_labels],
        "study_sites_by_status": [(ss_labels[k], study_sites.get(k, 0)) for k in ss_labels],
        "activations": cycles,
        "median_cycle_days": statistics.median(known) if known else None,
    }


def my_sites(request: HttpRequest, grants: Grants) -> dict[str, Any] | None:
    """Site managers: their sites' studies at sites and staff."""
    from trialsite.staff.models import Person
    from trialsite.studies.models import StudySite

    sites = grants.by_role.get(Role.SITE_MANAGER)
    if sites is None or not sites.sites:
        return None
    study_sites = list(
        StudySite.objects.filter(site_id__in=sites.sites).select_related("study", "site").order_by("site__code", "pk")
    )
    staff = list(
        Person.objects.filter(home_site_id__in=sites.sites, is_active=True)
        .select_related("home_site")
        .order_by("last_name", "first_name")
    )
    return {"study_sites": study_sites, "staff": staff}


def my_assignments(request: HttpRequest, grants: Grants) -> dict[str, Any] | None:
    """Site staff: the studies at sites they are currently assigned to."""
    from trialsite.staff.models import Assignment

    if not grants.has_role(Role.SITE_STAFF):
        return None
    today = timezone.localdate()
    assignments = list(
        Assignment.objects.visible_to(request.user)
        .filter(person__user_id=request.user.pk, starts_on__lte=today)
        .exclude(ends_on__lt=today)
        .select_related("study_site__study", "study_site__site")
        .order_by("study_site__study__protocol_number", "pk")
    )
    return {"assignments": assignments}


def monitored_study_sites(request: HttpRequest, grants: Grants) -> dict[str, Any] | None:
    """External monitors: only the studies at sites they are assigned to."""
    from trialsite.studies.models import StudySite

    scope = grants.by_role.get(Role.EXTERNAL_MONITOR)
    if scope is None or not scope.study_sites:
        return None
    study_sites = list(
        StudySite.objects.visible_to(request.user)
        .filter(pk__in=scope.study_sites)
        .select_related("study", "site")
        .order_by("study__protocol_number", "pk")
    )
    return {"study_sites": study_sites}


def recent_audit(request: HttpRequest, grants: Grants) -> dict[str, Any] | None:
    """QA: the latest audit entries within their scope."""
    from trialsite.audit.models import AuditEntry
    from trialsite.audit.views import audit_log_scope

    if not grants.has_role(Role.QA):
        return None
    entries = list(
        AuditEntry.objects.filter(audit_log_scope(grants))
        .select_related("content_type")
        .order_by("-at", "-pk")[:RECENT]
    )
    return {"entries": entries}


def register_panels() -> None:
    register(Panel("network_overview", "The network", "accounts/panels/network.html", network_overview, order=10))
    register(Panel("my_sites", "My sites", "accounts/panels/sites.html", my_sites, order=20))
    register(Panel("my_assignments", "My assignments", "accounts/panels/assignments.html", my_assignments, order=30))
    register(Panel("monitored", "Studies I monitor", "accounts/panels/monitored.html", monitored_study_sites, order=30))
    register(Panel("recent_audit", "Recent audit activity", "accounts/panels/audit.html", recent_audit, order=80))
