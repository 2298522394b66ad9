"""The home page per role: what each person sees, within their scope, in a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory

from trialsite.accounts import dashboard
from trialsite.accounts.scoping import forget_grants, grants_for
from trialsite.core.testing import assert_constant_queries, count_queries
from trialsite.studies.models import Study, StudySite

pytestmark = pytest.mark.django_db


def activate_many(net, n: int) -> None:  # noqa: ANN001
    """At least n studies at site A, each selected and activated (for cycle times)."""
    have = StudySite.objects.filter(site=net.site_a).count()
    for i in range(have, n):
        study = Study.objects.create(
            protocol_number=f"GROW-{i:03d}",
            short_name=f"G{i}",
            title="Grown",
            sponsor=net.sponsor,
            phase="2",
            therapeutic_area="oncology",
        )
        StudySite.objects.filter(pk=StudySite.objects.create(study=study, site=net.site_a).pk).update(
            status="active", selected_on=datetime.date(2026, 1, 1), activated_on=datetime.date(2026, 1, 1 + i % 28)
        )


def test_network_roles_see_network_counts_and_cycle_times(net, web) -> None:
    StudySite.objects.filter(pk=net.xa.pk).update(
        status="active", selected_on=datetime.date(2026, 1, 10), activated_on=datetime.date(2026, 3, 1)
    )
    for name in ("admin", "ops", "finance", "qa"):
        page = web(net.user(name)).get("/").content.decode()
        assert "The network" in page and "Sites by status" in page
        assert "50 days" in page  # Jan 10 -> Mar 1
    for name in ("manager_a", "staff_a", "staff_xa", "monitor_xa", "qa_a", "nobody"):
        assert "Sites by status" not in web(net.user(name)).get("/").content.decode()


def test_site_manager_sees_their_site_only(net, web) -> None:
    page = web(net.user("manager_a")).get("/").content.decode()
    assert "My sites" in page
    assert "ACME-001 @ AAA-01" in page and "ACME-002 @ AAA-01" in page
    assert "BBB-01" not in page and "Koordinator" not in page  # site B's study and staff
    assert "Coordinator" in page and "Investigator" in page  # site A's staff


def test_site_staff_see_their_current_assignments(net, web) -> None:
    net.crc_a.user = net.user("staff_xa")
    net.crc_a.save()
    page = web(net.user("staff_xa")).get("/").content.decode()
    assert "My assignments" in page and "ACME-001 @ AAA-01" in page and "Primary coordinator" in page
    assert "You have no current study assignments." in web(net.user("staff_a")).get("/").content.decode()


def test_monitor_sees_only_assigned_study_sites(net, web) -> None:
    page = web(net.user("monitor_xa")).get("/").content.decode()
    assert "Studies I monitor" in page and "ACME-001 @ AAA-01" in page
    assert "ACME-001 @ BBB-01" not in page and "ACME-002" not in page
    assert "My sites" not in page and "Recent audit activity" not in page


def test_qa_sees_recent_audit_activity_in_scope(net, web) -> None:
    for site, name in ((net.site_a, "Alpha Renamed"), (net.site_b, "Beta Renamed")):
        site.refresh_from_db()
        site.name = name
        site.save()
    site_qa = web(net.user("qa_a")).get("/").content.decode()
    assert "Recent audit activity" in site_qa and "Alpha Renamed" in site_qa and "Beta Renamed" not in site_qa
    network_qa = web(net.user("qa")).get("/").content.decode()
    assert "Alpha Renamed" in network_qa and "Beta Renamed" in network_qa
    assert "Recent audit activity" not in web(net.user("staff_a")).get("/").content.decode()


@pytest.mark.parametrize(
    ("user", "panel", "expected"),
    [
        ("admin", dashboard.network_overview, 3),
        ("manager_a", dashboard.my_sites, 2),
        ("staff_xa", dashboard.my_assignments, 1),
        ("monitor_xa", dashboard.monitored_study_sites, 1),
        ("qa_a", dashboard.recent_audit, 1),
    ],
)
def test_panel_query_counts_are_pinned(net, user: str, panel, expected: int) -> None:  # noqa: ANN001
    u = net.user(user)
    request = RequestFactory().get("/")
    request.user = u
    counts = []
    for n in (5, 50):
        activate_many(net, n)
        forget_grants(u)
        grants = grants_for(u)
        counts.append(count_queries(lambda: panel(request, grants))[0])  # noqa: B023
    assert counts == [expected, expected], counts


@pytest.mark.parametrize(
    ("user", "expected"), [("admin", 9), ("manager_a", 16), ("staff_xa", 13), ("qa_a", 7), ("monitor_xa", 5)]
)
def test_home_page_query_count_is_constant(net, web, user: str, expected: int | None) -> None:
    client = web(net.user(user))
    client.get("/")  # warm-up: the session's first request stamps it
    n = assert_constant_queries(lambda: client.get("/"), lambda k: activate_many(net, k), expected=expected)
    print(f"home page queries for {user}: {n}")
