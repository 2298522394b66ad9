"""Access cases for user administration: users, role assignments, temporary passwords, API token.

Users and roles are administered by network administrators only; anyone may see their own
account and roles (the target record here is staff_a's own account / role).
"""

from __future__ import annotations

from django.urls import reverse

from trialsite.accounts.models import RoleAssignment
from trialsite.accounts.tests.access_rules import ANON, api_read, ui_page, version_of
from trialsite.core.testing import Case

ONE = ("own",)


def admin_only(ok: int, anon: int = 302, refused: int = 403) -> callable:
    """Pages on staff_a's account: admin ok, staff_a sees but may not change it, others 404."""

    def expect(u: str, t: str) -> int:
        if u == ANON:
            return anon
        if u == "admin":
            return ok
        return refused if u == "staff_a" else 404

    return expect


def creator(ok: int, anon: int = 302) -> callable:
    return lambda u, t: anon if u == ANON else (ok if u == "admin" else 403)


def sees_self(u: str, t: str) -> bool:
    return u in ("admin", "staff_a")


def target_user(net, t: str):  # noqa: ANN001, ANN201
    return net.user("staff_a")


def role_of(net, t: str) -> RoleAssignment:  # noqa: ANN001
    return RoleAssignment.objects.get(user=net.user("staff_a"))


def user_form(net, t: str) -> dict:  # noqa: ANN001
    u = target_user(net, t)
    return {
        "username": u.username,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "display_name": "Stefanie A.",
        "email": u.email,
        "is_active": "on",
        "version": version_of(u),
    }


def grant(net, t: str) -> dict:  # noqa: ANN001
    return {"user": net.user("nobody").pk, "role": "site_staff", "site": net.site_b.pk, "reason": "New hire"}


CASES = [
    Case("accounts:user_list", "GET", lambda n, t: reverse("accounts:user_list"), ui_page(), targets=ONE),
    Case(
        "accounts:user_detail",
        "GET",
        lambda n, t: reverse("accounts:user_detail", args=[target_user(n, t).pk]),
        ui_page(sees_self),
        targets=ONE,
    ),
    Case("accounts:user_create", "GET", lambda n, t: reverse("accounts:user_create"), creator(200), targets=ONE),
    Case(
        "accounts:user_create",
        "POST",
        lambda n, t: reverse("accounts:user_create"),
        creator(302),
        data=lambda n, t: {
            "username": "newbie",
            "first_name": "New",
            "last_name": "Bie",
            "email": "nb@example.org",
            "is_active": "on",
        },
        targets=ONE,
        note="valid",
    ),
    Case(
        "accounts:user_edit",
        "GET",
        lambda n, t: reverse("accounts:user_edit", args=[target_user(n, t).pk]),
        admin_only(200),
        targets=ONE,
    ),
    Case(
        "accounts:user_edit",
        "POST",
        lambda n, t: reverse("accounts:user_edit", args=[target_user(n, t).pk]),
        admin_only(302),
        data=user_form,
        targets=ONE,
        note="valid",
    ),
    Case(
        "accounts:user_password",
        "GET",
        lambda n, t: reverse("accounts:user_password", args=[target_user(n, t).pk]),
        admin_only(200),
        targets=ONE,
    ),
    Case(
        "accounts:user_password",
        "POST",
        lambda n, t: reverse("accounts:user_password", args=[target_user(n, t).pk]),
        admin_only(302),
        data=lambda n, t: {
            "password1": "temporary lantern 8812",
            "password2": "temporary lantern 8812",
            "reason": "forgotten",
        },
        targets=ONE,
        note="valid",
        extra={"users": ("admin", "staff_a", "manager_a", "monitor_xa", "nobody", "anonymous")},
    ),
    Case("accounts:role_create", "GET", lambda n, t: reverse("accounts:role_create"), creator(200), targets=ONE),
    Case(
        "accounts:role_create",
        "POST",
        lambda n, t: reverse("accounts:role_create"),
        creator(302),
        data=grant,
        targets=ONE,
        note="valid",
    ),
    Case(
        "accounts:role_edit",
        "GET",
        lambda n, t: reverse("accounts:role_edit", args=[role_of(n, t).pk]),
        admin_only(200),
        targets=ONE,
    ),
    Case(
        "accounts:role_edit",
        "POST",
        lambda n, t: reverse("accounts:role_edit", args=[role_of(n, t).pk]),
        admin_only(302),
        data=lambda n, t: {"reason": "Left the site", "version": version_of(role_of(n, t))},
        targets=ONE,
        note="revoke",
    ),
    Case("accounts:my_token", "GET", lambda n, t: reverse("accounts:my_token"), ui_page(), targets=ONE),
    Case(
        "accounts:my_token",
        "POST",
        lambda n, t: reverse("accounts:my_token"),
        ui_page(),
        data=lambda n, t: {"action": "issue"},
        targets=ONE,
        note="issue",
    ),
    # -- API --
    Case("user-list", "GET", lambda n, t: "/api/v1/users/", api_read(), api=True, targets=ONE),
    Case(
        "user-list",
        "POST",
        lambda n, t: "/api/v1/users/",
        creator(201, anon=403),
        data=lambda n, t: {"username": "api-newbie", "email": "an@example.org"},
        api=True,
        targets=ONE,
        note="create",
    ),
    Case(
        "user-detail",
        "GET",
        lambda n, t: f"/api/v1/users/{target_user(n, t).pk}/",
        api_read(sees_self),
        api=True,
        targets=ONE,
    ),
    Case(
        "user-detail",
        "PATCH",
        lambda n, t: f"/api/v1/users/{target_user(n, t).pk}/",
        admin_only(200, anon=403),
        data=lambda n, t: {"display_name": "S. A.", "version": version_of(target_user(n, t))},
        api=True,
        targets=ONE,
    ),
    Case(
        "user-detail",
        "DELETE",
        lambda n, t: f"/api/v1/users/{target_user(n, t).pk}/",
        lambda u, t: 403 if u == ANON else (405 if sees_self(u, t) else 405),
        api=True,
        targets=ONE,
        note="never deleted",
    ),
    Case("roleassignment-list", "GET", lambda n, t: "/api/v1/role-assignments/", api_read(), api=True, targets=ONE),
    Case(
        "roleassignment-list",
        "POST",
        lambda n, t: "/api/v1/role-assignments/",
        creator(201, anon=403),
        data=lambda n, t: {"user": n.user("nobody").pk, "role": "qa", "site": n.site_a.pk},
        api=True,
        targets=ONE,
        note="create",
    ),
    Case(
        "roleassignment-detail",
        "GET",
        lambda n, t: f"/api/v1/role-assignments/{role_of(n, t).pk}/",
        api_read(sees_self),
        api=True,
        targets=ONE,
    ),
    Case(
        "roleassignment-detail",
        "PATCH",
        lambda n, t: f"/api/v1/role-assignments/{role_of(n, t).pk}/",
        admin_only(200, anon=403),
        data=lambda n, t: {"is_active": False, "version": version_of(role_of(n, t)), "change_reason": "Left"},
        api=True,
        targets=ONE,
    ),
]
