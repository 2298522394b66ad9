"""User administration for network administrators: users, role grants and revocations,
temporary passwords, and the self-service API token page; everything audited."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from trialsite.accounts.models import RoleAssignment, User
from trialsite.accounts.scoping import forget_grants
from trialsite.audit.models import AuditEntry
from trialsite.core.testing import assert_constant_queries

pytestmark = pytest.mark.django_db


def api_fetch(client: APIClient, user: User):  # noqa: ANN201
    """Each call like a fresh request: the user's grants are resolved again."""

    def fetch(path: str):  # noqa: ANN202
        forget_grants(user)
        return client.get(path)

    return fetch


def test_admin_creates_user_without_usable_password(net, web) -> None:
    admin = web(net.user("admin"))
    r = admin.post(
        "/accounts/users/new/",
        {"username": "carla", "first_name": "Carla", "last_name": "Crc", "email": "c@example.org", "is_active": "on"},
    )
    assert r.status_code == 302
    carla = User.objects.get(username="carla")
    assert not carla.has_usable_password()
    entry = AuditEntry.objects.get(object_id=str(carla.pk), action="create", content_type__model="user")
    assert entry.actor_id == net.user("admin").pk


def test_grant_role_validation_messages(net, web) -> None:
    admin = web(net.user("admin"))
    nobody = net.user("nobody")
    # A monitor needs a study at a site.
    r = admin.post("/accounts/roles/new/", {"user": nobody.pk, "role": "external_monitor", "site": net.site_a.pk})
    assert r.status_code == 200
    assert "An external monitor is assigned to a study at a site." in r.content.decode()
    # Network roles are network-wide only.
    r = admin.post("/accounts/roles/new/", {"user": nobody.pk, "role": "network_ops", "site": net.site_a.pk})
    assert "This role is held network-wide only." in r.content.decode()
    # Both a site and a study at a site.
    r = admin.post(
        "/accounts/roles/new/",
        {"user": nobody.pk, "role": "site_staff", "site": net.site_a.pk, "study_site": net.xa.pk},
    )
    assert "Choose a site or a study at a site, not both." in r.content.decode()
    # A valid grant, then the same again.
    r = admin.post("/accounts/roles/new/", {"user": nobody.pk, "role": "site_staff", "site": net.site_b.pk})
    assert r.status_code == 302
    r = admin.post("/accounts/roles/new/", {"user": nobody.pk, "role": "site_staff", "site": net.site_b.pk})
    assert "already holds this role" in r.content.decode()
    assert RoleAssignment.objects.filter(user=nobody).count() == 1


def test_granted_role_takes_effect_and_revocation_removes_it(net, web) -> None:
    admin = web(net.user("admin"))
    nobody = net.user("nobody")
    assert web(nobody).get(f"/network/sites/{net.site_b.pk}/").status_code == 404
    admin.post(
        "/accounts/roles/new/", {"user": nobody.pk, "role": "site_staff", "site": net.site_b.pk, "reason": "hire"}
    )
    ra = RoleAssignment.objects.get(user=nobody)
    assert web(User.objects.get(pk=nobody.pk)).get(f"/network/sites/{net.site_b.pk}/").status_code == 200
    # Revoking needs a reason.
    r = admin.post(f"/accounts/roles/{ra.pk}/", {"version": ra.version})
    assert r.status_code == 200 and "Say why the role is revoked." in r.content.decode()
    r = admin.post(f"/accounts/roles/{ra.pk}/", {"version": ra.version, "reason": "left the site"})
    assert r.status_code == 302
    ra.refresh_from_db()
    assert not ra.is_active  # revoked, kept on record
    entry = AuditEntry.objects.filter(object_id=str(ra.pk), event="role.revoked").get()
    assert entry.reason == "left the site" and entry.changes["is_active"] == [True, False]
    assert web(User.objects.get(pk=nobody.pk)).get(f"/network/sites/{net.site_b.pk}/").status_code == 404
    # A stale form is refused, not applied.
    r = admin.post(f"/accounts/roles/{ra.pk}/", {"version": 1, "is_active": "on", "reason": "back"})
    assert "changed by someone else" in r.content.decode()


def test_role_api_validation_names_the_field(net, api) -> None:
    c = api(net.user("admin"))
    r = c.post("/api/v1/role-assignments/", {"user": net.user("nobody").pk, "role": "external_monitor"})
    assert r.status_code == 400
    assert "study_site" in r.json()


def test_roles_are_private_to_admins_and_their_holder(net, api) -> None:
    mine = api(net.user("staff_a")).get("/api/v1/role-assignments/").json()["results"]
    assert {r["user"] for r in mine} == {net.user("staff_a").pk}
    everyone = api(net.user("admin")).get("/api/v1/role-assignments/").json()
    assert everyone["count"] == 9  # every role of the fixture (nobody has none)


def test_temporary_password(net, web) -> None:
    admin = web(net.user("admin"))
    target = net.user("staff_a")
    browser = Client()
    browser.force_login(target)
    r = admin.post(f"/accounts/users/{target.pk}/password/", {"password1": "short", "password2": "short"})
    assert r.status_code == 200 and "at least 12 characters" in r.content.decode()
    good = "temporary lantern 8812"
    r = admin.post(f"/accounts/users/{target.pk}/password/", {"password1": good, "password2": good, "reason": "lost"})
    assert r.status_code == 302
    assert User.objects.get(pk=target.pk).check_password(good)
    assert browser.get("/").status_code == 302  # their old sessions ended
    entry = AuditEntry.objects.filter(object_id=str(target.pk), event="user.password_set").get()
    assert entry.changes["password"] == ["(redacted)", "(redacted)"] and entry.actor_id == net.user("admin").pk


def test_my_api_token_shown_once_regenerated_revoked(net, web) -> None:
    user = net.user("staff_xa")
    c = web(user)
    r = c.get("/accounts/token/")
    assert r.status_code == 200 and b"You have no API token" in r.content
    r = c.post("/accounts/token/", {"action": "issue"})
    key = Token.objects.get(user=user).key
    assert key in r.content.decode() and r["Cache-Control"] == "no-store"
    assert key not in c.get("/accounts/token/").content.decode()  # shown once
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert token_client.get("/api/v1/study-sites/").json()["count"] == 1  # the token acts within the user's scope
    c.post("/accounts/token/", {"action": "issue"})
    new_key = Token.objects.get(user=user).key
    assert new_key != key
    assert token_client.get("/api/v1/study-sites/").status_code in (401, 403)
    c.post("/accounts/token/", {"action": "revoke"})
    assert not Token.objects.filter(user=user).exists()
    events = list(
        AuditEntry.objects.filter(object_id=str(user.pk), event__startswith="token.")
        .order_by("pk")
        .values_list("event", flat=True)
    )
    assert events == ["token.created", "token.regenerated", "token.revoked"]
    dumped = str(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert key not in dumped and new_key not in dumped  # the secret is never recorded


def test_non_admin_cannot_administer(net, web) -> None:
    staff = web(net.user("staff_a"))
    me = net.user("staff_a")
    assert staff.get(f"/accounts/users/{me.pk}/").status_code == 200  # own account
    assert staff.get(f"/accounts/users/{me.pk}/edit/").status_code == 403
    assert staff.get(f"/accounts/users/{net.user('qa_a').pk}/").status_code == 404
    assert staff.get("/accounts/roles/new/").status_code == 403


def test_user_list_query_count_is_constant(net, web) -> None:
    from trialsite.conftest import make_user

    admin = web(net.user("admin"))
    admin.get("/accounts/users/")  # warm-up: the session's first request stamps it
    counter = {"n": 0}

    def grow(n: int) -> None:
        while User.objects.count() < n:
            counter["n"] += 1
            make_user(f"extra{counter['n']:03d}")

    print("user list queries:", assert_constant_queries(lambda: admin.get("/accounts/users/"), grow, expected=5))


def test_user_api_list_query_count_is_constant(net, api) -> None:
    from trialsite.conftest import make_user

    c = api(net.user("admin"))
    fetch = api_fetch(c, net.user("admin"))
    counter = {"n": 0}

    def grow(n: int) -> None:
        while User.objects.count() < n:
            counter["n"] += 1
            make_user(f"extra{counter['n']:03d}")

    print("user API queries:", assert_constant_queries(lambda: fetch("/api/v1/users/"), grow, expected=3))


def test_role_api_list_query_count_is_constant(net, api) -> None:
    from trialsite.conftest import make_user

    c = api(net.user("admin"))
    fetch = api_fetch(c, net.user("admin"))
    counter = {"n": 0}

    def grow(n: int) -> None:
        while RoleAssignment.objects.count() < n:
            counter["n"] += 1
            make_user(f"extra{counter['n']:03d}", ("qa", net.site_b, None))

    print("role API queries:", assert_constant_queries(lambda: fetch("/api/v1/role-assignments/"), grow, expected=3))
