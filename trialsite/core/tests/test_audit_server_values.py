"""Standards A4: actor, timestamps and version come from the server; what a client sends for them is ignored."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from trialsite.audit.models import AuditEntry
from trialsite.network.models import Site

pytestmark = pytest.mark.django_db

FORGED = {
    "id": 999999,
    "created_at": "2000-01-01T00:00:00Z",
    "updated_at": "2000-01-01T00:00:00Z",
    "actor": 1,
    "actor_label": "someone-else",
    "at": "2000-01-01T00:00:00Z",
    "changed_by": "someone-else",
}


def test_api_create_ignores_forged_server_fields(net, api) -> None:  # noqa: ANN001
    started = timezone.now()
    body = {"code": "NEW-01", "name": "New", "city": "Lyon", "country": "FR", "version": 42, **FORGED}
    r = api(net.user("ops")).post("/api/v1/sites/", body, format="json")
    assert r.status_code == 201, r.content
    site = Site.objects.get(code="NEW-01")
    assert site.pk != FORGED["id"] and site.version == 1
    assert site.created_at >= started and site.updated_at >= started
    entry = AuditEntry.objects.filter(object_id=str(site.pk), content_type__model="site").get()
    assert (entry.actor_id, entry.actor_label) == (net.user("ops").pk, "ops")
    assert entry.at >= started
    assert r.json()["created_at"] != FORGED["created_at"]


def test_api_update_ignores_forged_server_fields(net, api) -> None:  # noqa: ANN001
    site = net.site_a
    created_at = Site.objects.get(pk=site.pk).created_at
    c = api(net.user("admin"))
    r = c.patch(f"/api/v1/sites/{site.pk}/", {"phone": "1", "version": 1, **FORGED}, format="json")
    assert r.status_code == 200, r.content
    fresh = Site.objects.get(pk=site.pk)
    assert (fresh.version, fresh.created_at, fresh.phone) == (2, created_at, "1")
    assert fresh.updated_at > timezone.now() - datetime.timedelta(minutes=1)
    entry = AuditEntry.objects.filter(object_id=str(site.pk), content_type__model="site").order_by("id").last()
    assert (entry.actor_label, entry.changes) == ("admin", {"phone": ["", "1"]})


@pytest.mark.parametrize("sent", [3, 99, 0, -1, "2", None])
def test_api_version_tricks_do_not_move_the_version(net, api, sent) -> None:  # noqa: ANN001
    """Only the current version is accepted; anything else is refused and changes nothing."""
    site = net.site_a
    before = AuditEntry.objects.count()
    r = api(net.user("admin")).patch(f"/api/v1/sites/{site.pk}/", {"phone": "2", "version": sent}, format="json")
    assert r.status_code in (400, 409), (sent, r.status_code, r.content)
    fresh = Site.objects.get(pk=site.pk)
    assert (fresh.version, fresh.phone) == (1, "")
    assert AuditEntry.objects.count() == before


def test_web_form_ignores_forged_fields(net, web) -> None:  # noqa: ANN001
    site = net.site_b
    created_at = Site.objects.get(pk=site.pk).created_at
    data = {
        "code": site.code,
        "name": site.name,
        "city": site.city,
        "country": site.country,
        "time_zone": site.time_zone,
        "status": site.status,
        "phone": "42",
        "version": 1,
        **FORGED,
    }
    r = web(net.user("admin")).post(f"/network/sites/{site.pk}/edit/", data)
    assert r.status_code == 302
    fresh = Site.objects.get(pk=site.pk)
    assert (fresh.version, fresh.created_at, fresh.phone) == (2, created_at, "42")
    entry = AuditEntry.objects.filter(object_id=str(site.pk), content_type__model="site").order_by("id").last()
    assert entry.actor_label == "admin" and entry.at > timezone.now() - datetime.timedelta(minutes=1)


def test_client_request_id_cannot_inject(net, api) -> None:  # noqa: ANN001
    """A client may correlate with X-Request-ID, but only a safe token is kept."""
    c = api(net.user("admin"))
    r = c.patch(
        f"/api/v1/sites/{net.site_a.pk}/",
        {"phone": "3", "version": 1},
        format="json",
        HTTP_X_REQUEST_ID="<script>alert(1)</script>",
    )
    assert r.status_code == 200
    entry = AuditEntry.objects.filter(content_type__model="site", object_id=str(net.site_a.pk)).order_by("id").last()
    assert "<" not in entry.request_id and len(entry.request_id) == 32
