from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from trialsite.accounts.models import RoleAssignment, User


@admin.register(User)
class TrialSiteUserAdmin(UserAdmin):
    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ANN001
        return False  # deactivate, never delete (standards P4)


admin.site.register(RoleAssignment, list_display=["user", "role", "site", "study_site", "is_active"])
