"""Django admin for superusers: accounts and roles can be changed, never deleted (standards P4)."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from trialsite.accounts.models import RoleAssignment, User


@admin.register(User)
class TrialSiteUserAdmin(UserAdmin):
    actions = None  # no bulk "delete selected"

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False  # deactivate, never delete (standards P4)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "site", "study_site", "is_active"]
    list_filter = ["role", "is_active"]
    actions = None

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False  # revoke (is_active off), never delete: who had access when stays on record
