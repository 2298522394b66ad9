"""Admin views of the protocol are read-only: edits go through the Protocol pages and API, whose
services validate the whole schedule (codes, windows, offsets) and refuse removing definitions in use."""

from typing import Any

from django.contrib import admin

from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition, VisitProcedure


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ReadOnlyAdmin):
    list_display = ["study", "label", "effective_on", "based_on"]
    list_select_related = ["study", "based_on__study"]
    search_fields = ["label", "study__protocol_number"]


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyAdmin):
    list_display = ["study", "code", "name", "category"]
    list_select_related = ["study"]
    search_fields = ["code", "name"]


@admin.register(VisitDefinition)
class VisitDefinitionAdmin(ReadOnlyAdmin):
    list_display = [
        "protocol_version",
        "order",
        "code",
        "name",
        "anchor",
        "day_offset",
        "window_before",
        "window_after",
    ]
    list_select_related = ["protocol_version__study"]
    search_fields = ["code", "name"]


@admin.register(VisitProcedure)
class VisitProcedureAdmin(ReadOnlyAdmin):
    list_display = ["visit_definition", "procedure"]
    list_select_related = ["visit_definition", "procedure"]


@admin.register(EligibilityCriterion)
class EligibilityCriterionAdmin(ReadOnlyAdmin):
    list_display = ["protocol_version", "kind", "number", "text"]
    list_select_related = ["protocol_version__study"]
