from typing import Any

from django.contrib import admin

from trialsite.visits.models import CalendarFeed, Visit


class ReadOnlyAdmin(admin.ModelAdmin):
    """Visits and feeds change only through their services (rules, scope, audit reasons)."""

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    list_display = ["code", "participant", "study_site", "planned_on", "status", "deviation_candidate"]
    list_filter = ["status", "deviation_candidate"]
    list_select_related = ["participant", "study_site__study", "study_site__site"]
    raw_id_fields = ["participant", "study_site", "definition", "coordinator"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(ReadOnlyAdmin):
    list_display = ["label", "site", "coordinator", "created_by", "created_at", "revoked_at"]
    exclude = ["token"]
