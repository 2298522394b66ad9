"""Authentication hardening: lock-out (U1), session limits (U2), password rules (U3),
deactivation ends access and accounts are never deleted (P4), refused access is logged (P3)."""

from __future__ import annotations

import logging
import time

import pytest
from django.conf import settings
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from trialsite.accounts import services
from trialsite.accounts.middleware import SESSION_KEY
from trialsite.accounts.models import User
from trialsite.accounts.signals import SESSION_STARTED_KEY
from trialsite.audit.models import AuditEntry
from trialsite.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db
SECURITY = "trialsite.security"


def login(client: Client, username: str, password: str):  # noqa: ANN201
    return client.post("/login/", {"username": username, "password": password})


# -- U1: lock-out ---------------------------------------------------------------------------------
def test_lockout_after_five_failures_is_logged(net, caplog) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    c = Client()
    statuses = [login(c, "staff_a", "wrong password attempt").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses[:4] == [200] * 4  # the form again, with an error
    # Now even the right password is refused: the account is locked from this address.
    locked = login(c, "staff_a", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed log-ins" in locked.content
    assert "_auth_user_id" not in c.session
    messages = [r.getMessage() for r in caplog.records if r.name == SECURITY]
    failures = [m for m in messages if m.startswith("login failed")]
    lockouts = [m for m in messages if m.startswith("login locked out")]
    print(f"failed log-ins logged: {len(failures)}, lock-out events logged: {len(lockouts)}")
    assert len(failures) >= settings.AXES_FAILURE_LIMIT
    assert lockouts and "staff_a" in lockouts[0]


def test_good_login_below_the_limit_works_and_resets(net) -> None:
    c = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(c, "staff_a", "wrong password attempt")
    assert login(c, "staff_a", PASSWORD).status_code == 302
    assert c.get("/").status_code == 200


# -- U2: session limits ---------------------------------------------------------------------------
def _session_client(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_idle_session_ends(net, caplog) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    c = _session_client(net.user("staff_a"))
    assert c.get("/").status_code == 200
    s = c.session
    s[SESSION_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT_SECONDS - 5
    s.save()
    r = c.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert any("idle" in r.getMessage() for r in caplog.records if r.name == SECURITY)


def test_active_session_within_idle_limit_continues(net) -> None:
    c = _session_client(net.user("staff_a"))
    s = c.session
    s[SESSION_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT_SECONDS + 60
    s.save()
    assert c.get("/").status_code == 200


def test_absolute_session_age_ends_even_a_busy_session(net) -> None:
    c = _session_client(net.user("staff_a"))
    assert c.session.get(SESSION_STARTED_KEY)  # stamped at log-in
    s = c.session
    s[SESSION_STARTED_KEY] = int(time.time()) - settings.SESSION_ABSOLUTE_SECONDS - 5
    s[SESSION_KEY] = int(time.time())  # used a second ago: not idle
    s.save()
    r = c.get("/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_logout_ends_the_session(net) -> None:
    c = _session_client(net.user("staff_a"))
    assert c.post("/logout/").status_code == 302
    assert c.get("/").status_code == 302


# -- U3: passwords, through the password change form ------------------------------------------------
@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("short pw 1", "at least 12 characters"),
        ("Q1w2e3r4t5y6", "too common"),
        ("123456789012345", "entirely numeric"),
    ],
)
def test_weak_passwords_refused(net, new: str, message: str) -> None:
    c = _session_client(net.user("staff_a"))
    r = c.post("/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert r.status_code == 200
    assert message in r.content.decode()
    net.user("staff_a").refresh_from_db()
    assert net.user("staff_a").check_password(PASSWORD)


def test_long_passphrase_accepted_and_audited_without_the_hash(net) -> None:
    c = _session_client(net.user("staff_a"))
    phrase = "a long passphrase with many words is fine " * 3
    r = c.post("/password/", {"old_password": PASSWORD, "new_password1": phrase, "new_password2": phrase})
    assert r.status_code == 302
    user = User.objects.get(username="staff_a")
    assert user.check_password(phrase)
    entry = AuditEntry.objects.filter(object_id=str(user.pk), changes__has_key="password").latest("at")
    assert entry.changes["password"] == ["(redacted)", "(redacted)"]
    assert c.get("/").status_code == 200  # the session survives one's own password change


# -- P4 / U2: deactivation ends every session and token; users are never deleted --------------------
def test_deactivation_through_api_ends_sessions_and_tokens(net, api) -> None:
    target = net.user("staff_a")
    browsers = [_session_client(target), _session_client(target)]
    key = Token.objects.create(user=target).key
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert token_client.get("/api/v1/sites/").status_code == 200

    r = api(net.user("admin")).patch(
        f"/api/v1/users/{target.pk}/", {"is_active": False, "version": User.objects.get(pk=target.pk).version}
    )
    assert r.status_code == 200, r.content
    assert not Token.objects.filter(user=target).exists()
    assert token_client.get("/api/v1/sites/").status_code in (401, 403)
    for b in browsers:
        assert b.get("/").status_code == 302
    events = set(AuditEntry.objects.filter(object_id=str(target.pk)).values_list("event", flat=True))
    assert "token.revoked" in events


def test_deactivation_through_ui_and_bulk_update_ends_sessions(net, web) -> None:
    target, other = net.user("staff_a"), net.user("qa_a")
    browser = _session_client(target)
    admin = web(net.user("admin"))
    user = User.objects.get(pk=target.pk)
    r = admin.post(
        f"/accounts/users/{target.pk}/edit/",
        {"username": user.username, "first_name": "S", "last_name": "A", "email": user.email, "version": user.version},
    )
    assert r.status_code == 302
    assert browser.get("/").status_code == 302
    # A bulk update (a script, an import) ends access too.
    other_browser = _session_client(other)
    Token.objects.create(user=other)
    assert User.objects.filter(pk=other.pk).update(is_active=False) == 1
    assert other_browser.get("/").status_code == 302
    assert not Token.objects.filter(user=other).exists()


def test_users_are_never_deleted(net, api) -> None:
    target = net.user("staff_a")
    assert api(net.user("admin")).delete(f"/api/v1/users/{target.pk}/").status_code == 405
    with pytest.raises(PermissionError):
        User.objects.get(pk=target.pk).delete()
    with pytest.raises(PermissionError):
        User.objects.filter(pk=target.pk).delete()
    root = make_user("root", superuser=True)
    admin_site = Client()
    admin_site.force_login(root)
    assert admin_site.get(f"/admin/accounts/user/{target.pk}/delete/").status_code == 403
    assert admin_site.post(f"/admin/accounts/user/{target.pk}/delete/", {"post": "yes"}).status_code == 403
    changelist = admin_site.get("/admin/accounts/user/")
    assert changelist.status_code == 200 and b"delete_selected" not in changelist.content
    ra = target.role_assignments.first()
    assert admin_site.post(f"/admin/accounts/roleassignment/{ra.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=target.pk).exists()
    # The UI has no delete page for accounts or roles at all.
    from trialsite.accounts.urls import urlpatterns

    assert not [p.name for p in urlpatterns if "delete" in (p.name or "")]


# -- P3: refused access is logged with user, path and request id ------------------------------------
def test_refused_access_is_logged(net, web, api, caplog) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    staff = web(net.user("staff_a"))
    r = staff.get(f"/network/sites/{net.site_b.pk}/", HTTP_X_REQUEST_ID="req-12345678")
    assert r.status_code == 404
    r = api(net.user("staff_a")).patch(f"/api/v1/organizations/{net.sponsor.pk}/", {"version": 1})
    assert r.status_code == 403
    refused = [
        rec.getMessage() for rec in caplog.records if rec.name == SECURITY and "access refused" in rec.getMessage()
    ]
    uid = net.user("staff_a").pk
    assert any(
        f"status=404 user={uid}" in m and f"/network/sites/{net.site_b.pk}/" in m and "request_id=req-12345678" in m
        for m in refused
    ), refused
    assert any(f"status=403 user={uid}" in m and "/api/v1/organizations/" in m for m in refused), refused
    print(f"refused attempts logged: {len(refused)}/2")


def test_anonymous_refusals_are_not_attributed(net, caplog) -> None:
    caplog.set_level(logging.INFO, logger=SECURITY)
    assert Client().get("/network/sites/").status_code == 302
    assert not [r for r in caplog.records if r.name == SECURITY and "access refused" in r.getMessage()]


def test_end_sessions_leaves_other_users_alone(net) -> None:
    a = _session_client(net.user("staff_a"))
    b = _session_client(net.user("qa_a"))
    assert services.end_sessions(net.user("staff_a")) == 1
    assert a.get("/").status_code == 302
    assert b.get("/").status_code == 200
