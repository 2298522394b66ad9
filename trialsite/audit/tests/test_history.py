"""History tab of a record, and its exports (standards A5), masked for non-identity roles (P2)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from trialsite.core.context import acting_as
from trialsite.network.models import Site

pytestmark = pytest.mark.django_db

PHI = ("Jane", "Roe", "1970-03-01", "555-0100", "555-0199")


def history(obj, fmt: str | None = None) -> str:  # noqa: ANN001
    if fmt:
        return reverse("audit:history_export", args=[obj._meta.label_lower, obj.pk, fmt])
    return reverse("audit:history", args=[obj._meta.label_lower, obj.pk])


def edit_site(net) -> Site:  # noqa: ANN001
    site = Site.objects.get(pk=net.site_b.pk)
    with acting_as(net.user("admin"), reason="Phone number corrected", request_id="req-0123456789"):
        site.phone = "+49 30 1234"
        site.save()
    return site


def test_history_shows_who_when_what_reason_request(net, web) -> None:  # noqa: ANN001
    site = edit_site(net)
    r = web(net.user("admin")).get(history(site))
    assert r.status_code == 200
    html = r.content.decode()
    for text in ("admin", "Phone number corrected", "req-0123456", "+49 30 1234", "test-setup", "Europe/Berlin"):
        assert text in html, text
    entry = site_entry = r.context["rows"][0]
    assert entry.entry.actor_label == "admin" and entry.time_zone == "Europe/Berlin"
    assert site_entry.at_local.utcoffset() is not None and site_entry.at_local == site_entry.at_utc
    assert str(site_entry.at_local.tzinfo) == "Europe/Berlin"
    assert [(c.field, c.old, c.new) for c in entry.changes] == [("phone", "", "+49 30 1234")]


def test_detail_page_links_to_history(net, web) -> None:  # noqa: ANN001
    r = web(net.user("admin")).get(net.site_a.get_absolute_url())
    assert history(net.site_a) in r.content.decode()


def test_history_out_of_scope_is_404_like_missing(net, web) -> None:  # noqa: ANN001
    c = web(net.user("staff_a"))
    assert c.get(history(net.site_a)).status_code == 200
    assert c.get(history(net.site_b)).status_code == 404
    assert c.get(reverse("audit:history", args=["network.site", 999999])).status_code == 404
    assert c.get(reverse("audit:history", args=["nosuch.model", 1])).status_code == 404
    assert c.get(reverse("audit:history", args=["contenttypes.contenttype", 1])).status_code == 404
    assert c.get(reverse("audit:history", args=["audit.auditentry", 1])).status_code == 404
    for fmt in ("csv", "json", "html"):
        assert c.get(history(net.site_b, fmt)).status_code == 404
    assert c.get(history(net.site_a, "xml")).status_code == 404
    assert web().get(history(net.site_a)).status_code == 302


def test_exports_csv_json_printable(net, web) -> None:  # noqa: ANN001
    site = edit_site(net)
    c = web(net.user("admin"))
    r = c.get(history(site, "csv"))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    lines = list(csv.DictReader(io.StringIO(r.content.decode())))
    phone = [row for row in lines if row["field"] == "phone"]
    assert phone[-1]["old"] == "" and phone[-1]["new"] == "+49 30 1234"
    assert phone[-1]["reason"] == "Phone number corrected" and phone[-1]["time_zone"] == "Europe/Berlin"
    assert lines[0]["action"] == "create"  # oldest first

    r = c.get(history(site, "json"))
    assert r.status_code == 200 and r["Content-Type"] == "application/json"
    body = json.loads(r.content)
    assert body["record"]["current"]["phone"] == "+49 30 1234"
    assert [e["action"] for e in body["entries"]] == ["create", "update"]
    assert body["entries"][1]["changes"] == {"phone": ["", "+49 30 1234"]}
    assert body["entries"][1]["request_id"] == "req-0123456789"

    r = c.get(history(site, "html"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "Current values" in html and "+49 30 1234" in html and "audit.css" in html
    assert "<script>" not in html and 'style="' not in html


@pytest.mark.parametrize(
    "user,sees",
    [("staff_a", True), ("manager_a", True), ("staff_xa", True), ("monitor_xa", False), ("admin", False)],
)
def test_identity_is_masked_for_non_identity_roles(net, web, participant, user, sees) -> None:  # noqa: ANN001
    c = web(net.user(user))
    pages = [c.get(history(participant, fmt)) for fmt in (None, "csv", "json", "html")]
    assert [p.status_code for p in pages] == [200] * 4
    leaked = [(i, v) for i, p in enumerate(pages) for v in PHI if v in p.content.decode()]
    if sees:
        assert len(leaked) >= 4
    else:
        assert leaked == [], leaked
        assert "(hidden)" in pages[0].content.decode()
        assert "Dr. Who" in pages[0].content.decode()  # non-identity fields stay visible
    with_phone = json.loads(pages[2].content)["entries"][1]["changes"]["phone"]
    assert with_phone == (["555-0100", "555-0199"] if sees else ["(hidden)", "(hidden)"])


def test_participant_history_out_of_scope(net, web, participant) -> None:  # noqa: ANN001
    for user in ("manager_a", "staff_a"):
        assert web(net.user(user)).get(history(participant)).status_code == 200
    from trialsite.accounts.models import User

    outsider = User.objects.get(username="nobody")
    assert web(outsider).get(history(participant)).status_code == 404
