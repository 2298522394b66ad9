"""Log-in, the home page per role, user administration and the self-service API token page."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.html import format_html
from rest_framework.authtoken.models import Token

from trialsite.accounts import services
from trialsite.accounts.forms import RoleActiveForm, RoleAssignmentForm, TemporaryPasswordForm, UserForm
from trialsite.accounts.models import RoleAssignment, User
from trialsite.accounts.scoping import grants_for
from trialsite.core.dashboard import build_panels
from trialsite.core.exceptions import ConflictError
from trialsite.core.services import can_write
from trialsite.core.views import Column, RecordDetailView, RecordFormView, RecordListView

security_log = logging.getLogger("trialsite.security")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        security_log.info("password changed user=%s", self.request.user.pk)
        messages.success(self.request, "Your password was changed.")
        return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    grants = grants_for(request.user)
    roles = RoleAssignment.objects.filter(user=request.user, is_active=True).select_related(
        "site", "study_site__study", "study_site__site"
    )
    return render(
        request, "home.html", {"title": "Home", "panels": build_panels(request, grants), "role_assignments": roles}
    )


def _apply_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class UserList(RecordListView):
    model = User
    columns = [
        Column("Username", "username", sort="username", link=True),
        Column("Name", lambda u: u.get_full_name()),
        Column("E-mail", "email"),
        Column("Active", lambda u: "yes" if u.is_active else "deactivated"),
        Column("Last log-in", "last_login", sort="last_login"),
    ]
    search_fields = ["username", "first_name", "last_name", "email"]
    create_url_name = "accounts:user_create"
    default_ordering = "username"


class UserDetail(RecordDetailView):
    model = User
    edit_url_name = "accounts:user_edit"
    fields = [
        ("Username", "username"),
        ("Name", lambda u: u.get_full_name()),
        ("Display name", "display_name"),
        ("E-mail", "email"),
        ("Active", lambda u: "yes" if u.is_active else "deactivated"),
        ("Last log-in (UTC)", "last_login"),
    ]

    def actions(self) -> list[dict[str, Any]]:
        out = []
        if can_write(self.request.user, self.object):
            out.append(
                {"label": "Set temporary password", "url": reverse("accounts:user_password", args=[self.object.pk])}
            )
        if self.object.pk == self.request.user.pk:
            out.append({"label": "My API token", "url": reverse("accounts:my_token")})
        return out

    def related_sections(self) -> list[dict[str, Any]]:
        admin = can_write(self.request.user, self.object)
        columns = [
            Column("Role", "role"),
            Column("Scope", "scope_label"),
            Column("Where", lambda r: r.study_site or r.site or "whole network"),
            Column("Active", lambda r: "yes" if r.is_active else "revoked"),
        ]
        if admin:
            columns.append(
                Column("", lambda r: format_html('<a href="{}">change</a>', reverse("accounts:role_edit", args=[r.pk])))
            )
        return [
            {
                "title": "Roles",
                "columns": columns,
                "objects": RoleAssignment.objects.visible_to(self.request.user)
                .filter(user=self.object)
                .select_related("user", "site", "study_site__study", "study_site__site"),
                "add_url": reverse("accounts:role_create") + f"?user={self.object.pk}" if admin else None,
            }
        ]


class UserCreate(RecordFormView):
    model = User
    form_class = UserForm
    title = "New user"

    def form_valid(self, form: UserForm) -> HttpResponse:
        form.instance.set_unusable_password()
        return super().form_valid(form)


class UserEdit(RecordFormView):
    model = User
    form_class = UserForm


class RoleAssignmentCreate(RecordFormView):
    model = RoleAssignment
    form_class = RoleAssignmentForm
    title = "Grant a role"

    def get_success_url(self, instance: RoleAssignment | None = None) -> str:
        return instance.user.get_absolute_url()


def _login_redirect(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path())


def role_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke or restore a role assignment (never deleted), with a reason."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    assignment = get_object_or_404(
        RoleAssignment.objects.visible_to(request.user).select_related("user", "site", "study_site"), pk=pk
    )
    if not can_write(request.user, assignment):
        raise PermissionDenied("You may not change role assignments.")
    form = RoleActiveForm(
        request.POST or None, initial={"is_active": assignment.is_active, "version": assignment.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.set_role_active(
                assignment,
                actor=request.user,
                active=form.cleaned_data["is_active"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Role updated.")
            return redirect(assignment.user.get_absolute_url())
    return render(
        request,
        "core/form.html",
        {"form": form, "title": f"Change role: {assignment}", "cancel_url": assignment.user.get_absolute_url()},
    )


def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    """A network administrator sets a temporary password (validated like any password)."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    user = get_object_or_404(User.objects.visible_to(request.user), pk=pk)
    if not can_write(request.user, user):
        raise PermissionDenied("Only a network administrator sets passwords for others.")
    form = TemporaryPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_temporary_password(
                user, actor=request.user, password=form.cleaned_data["password1"], reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict") and "password" in exc.error_dict:
                form.add_error("password1", exc.error_dict["password"])
            else:
                _apply_errors(form, exc)
        else:
            messages.success(request, f"Temporary password set for {user}. Their other sessions have ended.")
            return redirect(user.get_absolute_url())
    return render(
        request,
        "core/form.html",
        {"form": form, "title": f"Set a temporary password for {user}", "cancel_url": user.get_absolute_url()},
    )


@login_required
def my_token(request: HttpRequest) -> HttpResponse:
    """Self-service API token: issued or regenerated (shown once), or revoked."""
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "issue":
            new_key = services.issue_token(request.user, actor=request.user)
        elif action == "revoke":
            if services.revoke_token(request.user, actor=request.user):
                messages.success(request, "Your API token was revoked.")
            return redirect("accounts:my_token")
        else:
            messages.error(request, "Unknown action.")
            return redirect("accounts:my_token")
    token = Token.objects.filter(user=request.user).only("created").first()
    response = render(
        request,
        "accounts/token.html",
        {"title": "My API token", "token_created": token.created if token else None, "new_key": new_key},
    )
    response["Cache-Control"] = "no-store"
    return response
