"""Token authentication for integrations: scoped reads, writes attributed to the token's user."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from trialsite.audit.models import AuditEntry
from trialsite.network.models import Site


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:  # noqa: ANN001
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def token_client(key: str) -> APIClient:
    """A client as an integration is: no session, CSRF enforced, only the Authorization header."""
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.django_db
def test_token_lists_only_scoped_data(net) -> None:  # noqa: ANN001
    client = token_client(Token.objects.create(user=net.user("staff_a")).key)
    r = client.get("/api/v1/sites/")
    assert r.status_code == 200
    assert [s["code"] for s in r.json()["results"]] == ["AAA-01"]
    assert client.get(f"/api/v1/sites/{net.site_b.pk}/").status_code == 404
    study_sites = client.get("/api/v1/study-sites/").json()["results"]
    assert {s["site_code"] for s in study_sites} == {"AAA-01"}


@pytest.mark.django_db
def test_token_write_is_attributed_to_its_user(net) -> None:  # noqa: ANN001
    manager = net.user("manager_a")
    client = token_client(Token.objects.create(user=manager).key)
    site = client.get(f"/api/v1/sites/{net.site_a.pk}/")
    r = client.patch(
        f"/api/v1/sites/{net.site_a.pk}/",
        {"phone": "+1 617 555 0199", "change_reason": "New number"},
        HTTP_IF_MATCH=site["ETag"],
    )
    assert r.status_code == 200, r.content
    entry = AuditEntry.objects.filter(object_id=str(net.site_a.pk), action="update", content_type__model="site").latest(
        "id"
    )
    assert entry.actor == manager and entry.actor_label == "manager_a"
    assert entry.reason == "New number"
    assert entry.changes["phone"][1] == "+1 617 555 0199"


@pytest.mark.django_db
def test_bad_or_dead_tokens_are_refused(net) -> None:  # noqa: ANN001
    bad = token_client("0" * 40).get("/api/v1/sites/")
    assert bad.status_code == 401 and bad["WWW-Authenticate"] == "Token"
    assert APIClient().get("/api/v1/sites/").status_code == 403  # no credentials: as for sessions
    user = net.user("staff_a")
    key = Token.objects.create(user=user).key
    User = type(user)  # noqa: N806
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert token_client(key).get("/api/v1/sites/").status_code == 401
    assert Site.objects.get(pk=net.site_a.pk).version == net.site_a.version
