"""Minimum necessary (P2) and identity-read logging (P3), across UI pages, API JSON, CSV export, history.

Figure: PHI values found in responses to non-identity roles (monitor, finance, QA, operations,
administrator) over every participant page and endpoint = 0.
"""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse

from trialsite.participants.models import ContactAttempt, Participant
from trialsite.participants.tests import factories as f

NON_PHI = ("monitor_xa", "finance", "qa", "qa_a", "ops", "admin")
PHI_ROLES = ("staff_a", "manager_a", "staff_xa")


@pytest.fixture
def marked(net) -> Participant:  # noqa: ANN001
    """An enrolled participant at study X / site A with unmistakable identity values."""
    p = f.participant(net.xa, "enrolled", name="Augusta")
    p.last_name = "Byronsdottir"
    p.phone = "+1 617 555 0199"
    p.email = "augusta.byronsdottir@example.org"
    p.medical_record_number = "MRN-7734519"
    p.save()
    ContactAttempt.objects.create(participant=p, at=f.at(f.D(2026, 3, 3)), method="phone", outcome="reached")
    return p


PHI_VALUES = (
    "Augusta",
    "Byronsdottir",
    "617 555 0199",
    "augusta.byronsdottir",
    "MRN-7734519",
    "1970-05-06",
    "May 6, 1970",
)


def surfaces(p: Participant) -> list[tuple[str, str, dict]]:
    """(kind, path, params) of every place a participant is shown."""
    ui = [
        ("ui", reverse("participants:participant_list"), {}),
        ("ui", reverse("participants:participant_list"), {"q": "Augusta"}),
        ("ui", reverse("participants:participant_list"), {"format": "csv"}),
        ("ui", reverse("participants:participant_detail", args=[p.pk]), {}),
        ("ui", reverse("audit:history", args=["participants.participant", p.pk]), {}),
        ("ui", reverse("participants:reconsent_due"), {}),
        ("ui", reverse("participants:awaiting_contact"), {}),
        ("ui", "/", {}),
    ]
    api = [
        ("api", "/api/v1/participants/", {}),
        ("api", "/api/v1/participants/", {"name": "Augusta"}),
        ("api", "/api/v1/participants/", {"search": "Augusta"}),
        ("api", f"/api/v1/participants/{p.pk}/", {}),
        ("api", "/api/v1/participants/reconsent-due/", {}),
        ("api", "/api/v1/participants/awaiting-contact/", {}),
        ("api", "/api/v1/contact-attempts/", {}),
        ("api", "/api/v1/consents/", {}),
        ("api", "/api/v1/eligibility-answers/", {}),
    ]
    return ui + api


def test_phi_never_reaches_non_identity_roles(net, marked, web, api, capsys) -> None:  # noqa: ANN001
    leaks: list[str] = []
    checked = 0
    for role in NON_PHI:
        user = net.user(role)
        for kind, path, params in surfaces(marked):
            client = web(user) if kind == "ui" else api(user)
            r = client.get(path, params)
            assert r.status_code == 200, (role, path, r.status_code)
            body = r.content.decode()
            for echo in params.values():  # the user's own search term echoed in the search box is not a leak
                body = body.replace(f'value="{echo}"', "").replace(f"={echo}", "=")
            checked += 1
            leaks += [f"{role} {path} {params}: {v}" for v in PHI_VALUES if v in body]
            if kind == "api":
                leaks += [f"{role} {path}: key {k}" for k in Participant.identity_fields if f'"{k}":' in body]
    with capsys.disabled():
        print(
            f"\nP2: PHI fields in responses to non-PHI roles = {len(leaks)} ({checked} responses, {len(NON_PHI)} roles)"
        )
    assert leaks == []


def test_identity_roles_see_identity_and_reads_are_logged(net, marked, web, api, caplog) -> None:  # noqa: ANN001
    caplog.set_level(logging.INFO, logger="trialsite.security")
    for role in PHI_ROLES:
        caplog.clear()
        user = net.user(role)
        detail = web(user).get(reverse("participants:participant_detail", args=[marked.pk])).content.decode()
        assert "Augusta Byronsdottir" in detail and "MRN-7734519" in detail
        listing = web(user).get(reverse("participants:participant_list"), {"q": "Byronsdottir"}).content.decode()
        assert "Byronsdottir, Augusta" in listing
        body = api(user).get(f"/api/v1/participants/{marked.pk}/").json()
        assert body["medical_record_number"] == "MRN-7734519"
        lines = [r.getMessage() for r in caplog.records if r.name == "trialsite.security"]
        assert sum(f"user={role}" in m and str(marked.pk) in m for m in lines) >= 3, lines


def test_csv_export_for_identity_roles_has_names_for_others_not(net, marked, web) -> None:  # noqa: ANN001
    url = reverse("participants:participant_list")
    staff_csv = web(net.user("staff_a")).get(url, {"format": "csv"}).content.decode()
    assert "Byronsdottir, Augusta" in staff_csv.splitlines()[1]
    monitor_csv = web(net.user("monitor_xa")).get(url, {"format": "csv"}).content.decode()
    assert monitor_csv.splitlines()[0].startswith("Study ID,Study at site")
    assert marked.subject_id in monitor_csv


def test_audit_trail_of_participants_hides_identity_from_auditors(net, marked, web, api, capsys) -> None:  # noqa: ANN001
    """History exports and the audit log carry participant changes; auditors without identity access see none."""
    label = "participants.participant"
    paths = [
        ("ui", reverse("audit:history_export", args=[label, marked.pk, "csv"])),
        ("ui", reverse("audit:history_export", args=[label, marked.pk, "json"])),
        ("ui", reverse("audit:log")),
        ("ui", reverse("audit:log") + "?format=csv"),
        ("api", "/api/v1/audit-entries/"),
    ]
    leaks: list[str] = []
    for role in ("admin", "qa", "qa_a"):
        for kind, path in paths:
            client = web(net.user(role)) if kind == "ui" else api(net.user(role))
            r = client.get(path)
            assert r.status_code == 200, (role, path, r.status_code)
            body = b"".join(r.streaming_content).decode() if r.streaming else r.content.decode()
            leaks += [f"{role} {path}: {v}" for v in PHI_VALUES if v in body]
    staff = web(net.user("staff_a")).get(reverse("audit:history_export", args=[label, marked.pk, "csv"]))
    assert "Byronsdottir" in staff.content.decode()  # the site team's history keeps the real values (A3)
    with capsys.disabled():
        print(f"\nP2 (audit trail): PHI values in audit responses to auditors = {len(leaks)}")
    assert leaks == []
