"""Access cases for project-level URLs (home, log-in/out, password, API docs, admin) and the
foundation's audit pages (record history, audit log)."""

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
from trialsite.core.testing import Case

ONE = ("own",)


def api_page(u: str, t: str) -> int:
    return 403 if u == ANON else 200


CASES = [
    Case("home", "GET", lambda n, t: reverse("home"), ui_page(), targets=ONE),
    Case(
        "login",
        "GET",
        lambda n, t: reverse("login"),
        lambda u, t: 200 if u == ANON else 302,
        targets=ONE,
        extra={"login_redirect_ok": True},
    ),
    Case(
        "logout",
        "POST",
        lambda n, t: reverse("logout"),
        lambda u, t: 302,
        targets=ONE,
        extra={"login_redirect_ok": True},
    ),
    Case("password_change", "GET", lambda n, t: reverse("password_change"), ui_page(), targets=ONE),
    Case("api-root", "GET", lambda n, t: "/api/v1/", api_page, api=True, targets=ONE),
    Case(
        "schema",
        "GET",
        lambda n, t: reverse("schema"),
        api_page,
        targets=ONE,
        extra={"users": ("admin", "monitor_xa", "nobody", "anonymous")},
    ),
    Case("api_docs", "GET", lambda n, t: reverse("api_docs"), api_page, targets=ONE),
    Case("api_redoc", "GET", lambda n, t: reverse("api_redoc"), api_page, targets=ONE),
    # Django's admin is for superusers only; no role of the matrix is staff, so everyone is sent to its log-in.
    Case(
        "admin:index", "GET", lambda n, t: "/admin/", lambda u, t: 302, targets=ONE, extra={"login_redirect_ok": True}
    ),
    # -- audit pages of the foundation --
    Case(
        "audit:log",
        "GET",
        lambda n, t: reverse("audit:log"),
        lambda u, t: 302 if u == ANON else (200 if u in AUDIT_READERS else 404),
        targets=ONE,
    ),
    Case(
        "audit:history",
        "GET",
        lambda n, t: reverse("audit:history", args=["network.site", site_of(n, t).pk]),
        ui_page(sees_site_record),
        targets=("own", "other_site"),
        note="site",
    ),
    Case(
        "audit:history",
        "GET",
        lambda n, t: reverse("audit:history", args=["studies.studysite", study_site_of(n, t).pk]),
        ui_page(sees_study_site_record),
        note="study site",
    ),
    Case(
        "audit:history",
        "GET",
        lambda n, t: reverse("audit:history", args=["accounts.user", n.user("staff_a").pk]),
        ui_page(lambda u, t: u in ("admin", "staff_a")),
        targets=ONE,
        note="user",
    ),
]
