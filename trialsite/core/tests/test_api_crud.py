"""Every foundation object over /api/v1/: list (paged, filtered, ordered, searched), detail,
create, PUT, PATCH; no DELETE (405): records are closed or deactivated, never deleted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from trialsite.audit.models import AuditEntry


@dataclass
class Endpoint:
    path: str
    create: Callable[[Any], dict[str, Any]]
    patch: dict[str, Any]
    detail: Callable[[Any], int]
    query: str  # a filter + search + ordering that must list the detail object first
    close: dict[str, Any] | None = None  # how a record is retired instead of deleted
    put: dict[str, Any] | None = None  # changes sent with the full representation


ENDPOINTS = [
    Endpoint(
        "users",
        lambda n: {"username": "new_user", "first_name": "New", "last_name": "User", "email": "new@example.org"},
        {"display_name": "Dr. Admin"},
        lambda n: n.user("staff_a").pk,
        "is_active=true&search=staff_a&ordering=-username",
        {"is_active": False},
    ),
    Endpoint(
        "role-assignments",
        lambda n: {"user": n.user("nobody").pk, "role": "site_staff", "site": n.site_b.pk},
        {"is_active": False, "change_reason": "Left the site"},
        lambda n: n.user("manager_a").role_assignments.get().pk,
        "role=site_manager&ordering=role&search=manager_a",
        {"is_active": False, "change_reason": "Left again"},
        put={"is_active": True},
    ),
    Endpoint(
        "sites",
        lambda n: {"code": "CCC-01", "name": "Gamma", "city": "Paris", "country": "fr", "time_zone": "Europe/Paris"},
        {"phone": "+1 617 555 0100"},
        lambda n: n.site_a.pk,
        "status=active&country=us&search=Alpha&ordering=-code",
        {"status": "inactive"},
    ),
    Endpoint(
        "site-closures",
        lambda n: {"site": n.site_a.pk, "starts_on": "2026-12-24", "ends_on": "2026-12-26", "reason": "Holidays"},
        {"reason": "Renovation"},
        lambda n: n.site_a.closures.get().pk,
        "search=Inventory&ordering=-starts_on",
    ),
    Endpoint(
        "organizations",
        lambda n: {"kind": "irb", "name": "Local IRB", "country": "US"},
        {"short_name": "ACME"},
        lambda n: n.sponsor.pk,
        "kind=sponsor&is_active=true&search=Acme&ordering=name",
        {"is_active": False},
    ),
    Endpoint(
        "studies",
        lambda n: {
            "protocol_number": "ACME-003",
            "short_name": "Z-TRIAL",
            "title": "Study Z",
            "sponsor": n.sponsor.pk,
            "phase": "2",
            "therapeutic_area": "oncology",
        },
        {"enrollment_target": 120},
        lambda n: n.study_x.pk,
        "status=planned&phase=3&search=X-TRIAL&ordering=-protocol_number",
        {"status": "terminated"},
    ),
    Endpoint(
        "study-sites",
        lambda n: {"study": n.study_y.pk, "site": n.site_b.pk, "site_number": "042"},
        {"site_number": "007"},
        lambda n: n.xa.pk,
        "status=feasibility&search=AAA-01&ordering=-enrollment_target",
    ),
    Endpoint(
        "people",
        lambda n: {"first_name": "Nina", "last_name": "Nurse", "job_role": "nurse", "home_site": n.site_a.pk},
        {"credentials": "MD"},
        lambda n: n.pi_a.pk,
        "job_role=pi&is_active=true&search=Investigator&ordering=last_name",
        {"is_active": False},
    ),
    Endpoint(
        "assignments",
        lambda n: {
            "person": n.crc_a.pk,
            "study_site": n.ya.pk,
            "study_role": "backup_crc",
            "starts_on": "2026-02-01",
        },
        {"effort_percent": 40},
        lambda n: n.crc_a.assignments.get().pk,
        "study_role=primary_crc&search=Coordinator&ordering=starts_on",
        {"ends_on": "2026-06-30"},
    ),
]
IDS = [e.path for e in ENDPOINTS]


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # noqa: ANN001
    """The fixture users' passwords need no real key stretching here (saves ~4 s per test)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def closure(net):  # noqa: ANN001, ANN201
    from trialsite.network.models import SiteClosure

    return SiteClosure.objects.create(site=net.site_a, starts_on="2026-07-01", ends_on="2026-07-02", reason="Inventory")


@pytest.mark.django_db
@pytest.mark.parametrize("ep", ENDPOINTS, ids=IDS)
def test_list_is_paged_filtered_searched_ordered(ep: Endpoint, net, api, closure) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    full = client.get(f"/api/v1/{ep.path}/")
    assert full.status_code == 200
    body = full.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] >= 1

    paged = client.get(f"/api/v1/{ep.path}/?page_size=1")
    assert paged.status_code == 200 and len(paged.json()["results"]) == 1
    if body["count"] > 1:
        assert paged.json()["next"] is not None

    found = client.get(f"/api/v1/{ep.path}/?{ep.query}")
    assert found.status_code == 200, found.content
    assert ep.detail(net) in [r["id"] for r in found.json()["results"]]


@pytest.mark.django_db
@pytest.mark.parametrize("ep", ENDPOINTS, ids=IDS)
def test_detail_create_put_patch_and_no_delete(ep: Endpoint, net, api, closure) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    pk = ep.detail(net)
    detail = client.get(f"/api/v1/{ep.path}/{pk}/")
    assert detail.status_code == 200
    record = detail.json()
    assert detail["ETag"] == f'"{record["version"]}"'

    created = client.post(f"/api/v1/{ep.path}/", ep.create(net), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["version"] == 1 and created["ETag"] == '"1"'

    patched = client.patch(f"/api/v1/{ep.path}/{pk}/", {**ep.patch, "version": record["version"]}, format="json")
    assert patched.status_code == 200, patched.content
    assert patched.json()["version"] == record["version"] + 1
    for key, value in ep.patch.items():
        if key != "change_reason":
            assert patched.json()[key] == value

    # PUT: the full representation back (read-only fields are ignored), with the version read.
    full = {k: v for k, v in patched.json().items() if v is not None} | (ep.put or {})
    put = client.put(f"/api/v1/{ep.path}/{pk}/", full, format="json")
    assert put.status_code == 200, put.content
    assert put.json()["version"] == record["version"] + 2

    if ep.close is not None:
        closed = client.patch(f"/api/v1/{ep.path}/{pk}/", {**ep.close, "version": put.json()["version"]}, format="json")
        assert closed.status_code == 200, closed.content

    before = AuditEntry.objects.count()
    assert client.delete(f"/api/v1/{ep.path}/{pk}/").status_code == 405
    assert client.get(f"/api/v1/{ep.path}/{pk}/").status_code == 200
    assert AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_study_site_shows_protocol_and_site_code_read_only(net, api) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    data = client.get(f"/api/v1/study-sites/{net.xa.pk}/").json()
    assert data["study"] == net.study_x.pk and data["protocol_number"] == "ACME-001"
    assert data["site"] == net.site_a.pk and data["site_code"] == "AAA-01"
    assert data["principal_investigator_name"] == "Paula Investigator"
    # Read-only: sending another code changes nothing.
    r = client.patch(
        f"/api/v1/study-sites/{net.xa.pk}/", {"site_code": "ZZZ", "version": data["version"]}, format="json"
    )
    assert r.status_code == 200 and r.json()["site_code"] == "AAA-01"


@pytest.mark.django_db
def test_change_reason_is_recorded_in_the_audit_trail(net, api) -> None:  # noqa: ANN001
    client = api(net.user("admin"))
    r = client.patch(
        f"/api/v1/sites/{net.site_a.pk}/",
        {"phone": "555", "version": net.site_a.version, "change_reason": "New switchboard"},
        format="json",
    )
    assert r.status_code == 200 and "change_reason" not in r.json()
    entry = AuditEntry.objects.filter(object_id=str(net.site_a.pk), action="update", content_type__model="site").first()
    assert entry.reason == "New switchboard" and entry.actor == net.user("admin")


@pytest.mark.django_db
def test_role_assignments_go_through_the_account_services(net, api) -> None:  # noqa: ANN001
    """Revoking needs a reason (as in the UI); who holds which role where is fixed once granted."""
    client = api(net.user("admin"))
    ra = net.user("manager_a").role_assignments.get()
    url = f"/api/v1/role-assignments/{ra.pk}/"
    r = client.patch(url, {"is_active": False, "version": ra.version})
    assert r.status_code == 400 and "change_reason" in r.json()
    r = client.patch(url, {"role": "network_admin", "version": ra.version})
    assert r.status_code == 400 and "role" in r.json()
    r = client.patch(url, {"is_active": False, "version": ra.version, "change_reason": "Left"})
    assert r.status_code == 200 and r.json()["is_active"] is False
    entry = AuditEntry.objects.filter(
        object_id=str(ra.pk), action="update", content_type__model="roleassignment"
    ).latest("id")
    assert entry.event == "role.revoked" and entry.reason == "Left"
    assert client.patch(url, {"is_active": True, "version": ra.version}).status_code == 409


@pytest.mark.django_db
def test_change_reason_never_reaches_a_subclass_create(net, rf) -> None:  # noqa: ANN001
    """Serializers of other apps override create()/update() and pass the data to services."""
    from rest_framework.request import Request

    from trialsite.network.serializers import OrganizationSerializer

    seen: dict = {}

    class ServiceBacked(OrganizationSerializer):
        def create(self, validated_data):  # noqa: ANN001, ANN202
            seen.update(validated_data)
            return super().create(validated_data)

    request = Request(rf.post("/"))
    request.user = net.user("admin")
    s = ServiceBacked(data={"kind": "cro", "name": "Reasoned CRO", "change_reason": "Onboarding"})
    s.context["request"] = request
    assert s.is_valid(), s.errors
    org = s.save()
    assert "change_reason" not in seen and s.audit_reason == "Onboarding"
    assert (
        AuditEntry.objects.get(object_id=str(org.pk), action="create", content_type__model="organization").reason
        == "Onboarding"
    )
