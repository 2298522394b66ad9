"""Log-in, the home page per role, and user administration."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from trialsite.accounts.models import RoleAssignment, User
from trialsite.accounts.scoping import grants_for
from trialsite.core.dashboard import build_panels
from trialsite.core.views import Column, RecordDetailView, RecordFormView, RecordListView, ScopedModelForm

security_log = logging.getLogger("trialsite.security")


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = "/"


@login_required
def home(request: HttpRequest) -> HttpResponse:
    grants = grants_for(request.user)
    roles = RoleAssignment.objects.filter(user=request.user, is_active=True).select_related(
        "site", "study_site__study", "study_site__site"
    )
    return render(
        request, "home.html", {"title": "Home", "panels": build_panels(request, grants), "role_assignments": roles}
    )


class UserForm(ScopedModelForm):
    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "display_name", "email", "is_active"]


class RoleAssignmentForm(ScopedModelForm):
    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "site", "study_site", "is_active"]


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


class UserDetail(RecordDetailView):
    model = User
    edit_url_name = "accounts:user_edit"
    fields = [
        ("Username", "username"),
        ("Name", lambda u: u.get_full_name()),
        ("E-mail", "email"),
        ("Active", lambda u: "yes" if u.is_active else "deactivated"),
        ("Last log-in", "last_login"),
    ]

    def related_sections(self) -> list[dict[str, Any]]:
        from django.urls import reverse

        return [
            {
                "title": "Roles",
                "columns": [
                    Column("Role", "role"),
                    Column("Scope", "scope_label"),
                    Column("Where", lambda r: r.study_site or r.site or "whole network"),
                    Column("Active", "is_active"),
                ],
                "objects": RoleAssignment.objects.visible_to(self.request.user)
                .filter(user=self.object)
                .select_related("site", "study_site__study", "study_site__site"),
                "add_url": reverse("accounts:role_create") + f"?user={self.object.pk}",
            }
        ]


class UserCreate(RecordFormView):
    model = User
    form_class = UserForm

    def form_valid(self, form: UserForm) -> HttpResponse:
        form.instance.set_unusable_password()
        return super().form_valid(form)


class UserEdit(RecordFormView):
    model = User
    form_class = UserForm


class RoleAssignmentCreate(RecordFormView):
    model = RoleAssignment
    form_class = RoleAssignmentForm

    def get_success_url(self, instance: RoleAssignment | None = None) -> str:
        return instance.user.get_absolute_url()
