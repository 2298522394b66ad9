"""Users and the roles they hold at a scope (network, site, study at a site)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from trialsite.accounts.roles import NETWORK_ONLY_ROLES, Role
from trialsite.core.models import AuditedModel, AuditedQuerySet


class UserQuerySet(AuditedQuerySet):
    def delete(self) -> tuple[int, dict[str, int]]:
        """Bulk deletes too: accounts are deactivated, never deleted (standards P4)."""
        raise PermissionError("Users are deactivated, never deleted.")

    def update(self, **kwargs: Any) -> int:
        """A bulk deactivation ends sessions and tokens just like a single one."""
        ending = (
            list(self.filter(is_active=True).values_list("pk", flat=True)) if kwargs.get("is_active") is False else []
        )
        count = super().update(**kwargs)
        if ending:
            from trialsite.accounts.services import end_access

            for user in User.objects.filter(pk__in=ending, is_active=False):
                end_access(user)
        return count


class TrialSiteUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser, AuditedModel):
    """A login. Deactivated, never deleted, so user IDs are never reused (standards P4)."""

    display_name = models.CharField(max_length=150, blank=True)

    objects = TrialSiteUserManager()

    scope_write_roles = frozenset({Role.NETWORK_ADMIN})
    audit_exclude = ("last_login",)
    audit_redact = ("password",)

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise PermissionError("Users are deactivated, never deleted.")

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, grants, action="view"):  # noqa: ANN001, ANN206
        # Users are administered network-wide; everyone may see their own account.
        scope = grants.scope(frozenset({Role.NETWORK_ADMIN}))
        return models.Q() if scope.network else models.Q(pk=grants.user_id)


class RoleAssignment(AuditedModel):
    """A role held by a user at the whole network, at one site, or at one study at a site."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    site = models.ForeignKey("network.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    study_site = models.ForeignKey(
        "studies.StudySite", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    scope_site = "site"
    scope_write_roles = frozenset({Role.NETWORK_ADMIN})

    class Meta:
        ordering = ["user__username", "role"]

    @classmethod
    def scope_q(cls, grants, action="view"):  # noqa: ANN001, ANN206
        """Who holds which role is administered network-wide; everyone may see their own roles."""
        if grants.scope(frozenset({Role.NETWORK_ADMIN})).network:
            return models.Q()
        if action == "change" or grants.user_id is None:
            return models.Q(pk__in=[])
        return models.Q(user_id=grants.user_id)

    def get_absolute_url(self) -> str:
        return reverse("accounts:user_detail", args=[self.user_id])

    def __str__(self) -> str:
        where = self.study_site or self.site or "network"
        return f"{self.user} — {self.get_role_display()} @ {where}"

    @property
    def scope_label(self) -> str:
        if self.study_site_id:
            return "study at site"
        return "site" if self.site_id else "network"

    def clean(self) -> None:
        if self.site_id and self.study_site_id:
            raise ValidationError({"study_site": "Choose a site or a study at a site, not both."})
        if self.role == Role.EXTERNAL_MONITOR and not self.study_site_id:
            raise ValidationError({"study_site": "An external monitor is assigned to a study at a site."})
        if self.role in NETWORK_ONLY_ROLES and (self.site_id or self.study_site_id):
            raise ValidationError({"role": "This role is held network-wide only."})
        if self.is_active and self.user_id and self.role:
            same = RoleAssignment.objects.filter(
                user_id=self.user_id,
                role=self.role,
                site_id=self.site_id,
                study_site_id=self.study_site_id,
                is_active=True,
            ).exclude(pk=self.pk)
            if same.exists():
                raise ValidationError({"role": "This user already holds this role at this scope."})
