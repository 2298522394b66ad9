"""Access cases for the audit app's own URLs: history exports and the read-only audit-entries API.

(The log page and the history tab are in trialsite/core/tests/access_cases.py.)
"""

from __future__ import annotations

from django.urls import reverse

from trialsite.accounts.tests.access_rules import (
    ANON,
    AUDIT_READERS,
    sees_site_record,
    sees_study_site_record,
    site_of,
    study_site_of,
    ui_page,
)
from trialsite.audit.models import AuditEntry
from trialsite.core.testing import Case

SITE_TARGETS = ("own", "other_site")


def audit_reader_at(u: str, t: str) -> bool:
    """admin and qa read every entry; qa_a the entries of site A."""
    return u in ("admin", "qa") or (u == "qa_a" and t in ("own", "other_study"))


def api_expect(can) -> object:  # noqa: ANN001
    return lambda u, t: 403 if u == ANON else (200 if can(u, t) else 404)


def entry_of_site(n, t: str) -> str:  # noqa: ANN001
    entry = AuditEntry.objects.filter(site_id=site_of(n, t).pk).order_by("id").first()
    return reverse("auditentry-detail", args=[entry.pk])


CASES = [
    *[
        Case(
            "audit:history_export",
            "GET",
            lambda n, t, fmt=fmt: reverse("audit:history_export", args=["network.site", site_of(n, t).pk, fmt]),
            ui_page(sees_site_record),
            targets=SITE_TARGETS,
            note=f"site {fmt}",
        )
        for fmt in ("csv", "json", "html")
    ],
    Case(
        "audit:history_export",
        "GET",
        lambda n, t: reverse("audit:history_export", args=["studies.studysite", study_site_of(n, t).pk, "json"]),
        ui_page(sees_study_site_record),
        note="study site json",
    ),
    Case(
        "auditentry-list",
        "GET",
        lambda n, t: reverse("auditentry-list"),
        api_expect(lambda u, t: u in AUDIT_READERS),
        api=True,
        targets=("own",),
    ),
    Case(
        "auditentry-detail",
        "GET",
        entry_of_site,
        api_expect(audit_reader_at),
        api=True,
        targets=SITE_TARGETS,
    ),
    Case(
        "auditentry-detail",
        "DELETE",
        entry_of_site,
        # Read-only for everyone: 405 whatever the id (so it reveals nothing), after authentication.
        lambda u, t: 403 if u == ANON else 405,
        api=True,
        targets=SITE_TARGETS,
        note="read-only",
    ),
]
