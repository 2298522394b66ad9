"""API shapes of the protocol: versions, procedures, visit definitions, criteria and the SoA grid."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trialsite.core.api import VersionedModelSerializer
from trialsite.protocols import services
from trialsite.protocols.models import EligibilityCriterion, Procedure, ProtocolVersion, VisitDefinition


class ServiceSerializer(VersionedModelSerializer):
    """Writes go to the protocol services; the parent link cannot move on update."""

    parent_field: str = ""

    def _actor(self) -> Any:
        return self.context["request"].user

    def get_unique_together_validators(self) -> list[Any]:
        # The services check these (code, order, number...) and name the field; numbers and
        # positions may be left out and are then assigned, which DRF's check would refuse.
        return []

    def _reason(self) -> str:
        if getattr(self, "audit_reason", ""):
            return self.audit_reason
        data = self.context["request"].data
        return str(data.get("reason", ""))[:500] if isinstance(data, dict) else ""

    def _changes(self, instance: Any, validated_data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        expected = validated_data.pop("version")
        parent = validated_data.get(self.parent_field)
        if self.parent_field and parent is not None and parent.pk == getattr(instance, f"{self.parent_field}_id"):
            validated_data.pop(self.parent_field)
        return expected, validated_data


class ProtocolVersionSerializer(ServiceSerializer):
    parent_field = "study"
    protocol_number = serializers.CharField(source="study.protocol_number", read_only=True)

    class Meta:
        model = ProtocolVersion
        fields = ["id", "version", "study", "protocol_number", "label", "effective_on", "notes", "based_on"]
        read_only_fields = ["based_on"]

    def create(self, validated_data: dict[str, Any]) -> ProtocolVersion:
        validated_data.pop("version", None)
        return services.create_protocol_version(actor=self._actor(), reason=self._reason(), **validated_data)

    def update(self, instance: ProtocolVersion, validated_data: dict[str, Any]) -> ProtocolVersion:
        expected, changes = self._changes(instance, validated_data)
        return services.edit_protocol_version(
            instance, actor=self._actor(), expected_version=expected, reason=self._reason(), **changes
        )


class AmendmentSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=40)
    effective_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class ProcedureSerializer(ServiceSerializer):
    parent_field = "study"

    class Meta:
        model = Procedure
        fields = ["id", "version", "study", "code", "name", "category"]

    def create(self, validated_data: dict[str, Any]) -> Procedure:
        validated_data.pop("version", None)
        study = validated_data.pop("study")
        return services.add_procedure(study, actor=self._actor(), reason=self._reason(), **validated_data)

    def update(self, instance: Procedure, validated_data: dict[str, Any]) -> Procedure:
        expected, changes = self._changes(instance, validated_data)
        return services.edit_procedure(
            instance, actor=self._actor(), expected_version=expected, reason=self._reason(), **changes
        )


class VisitDefinitionSerializer(ServiceSerializer):
    parent_field = "protocol_version"
    order = serializers.IntegerField(min_value=1, required=False, help_text="Position; defaults to the end")
    procedure_codes = serializers.SerializerMethodField()

    class Meta:
        model = VisitDefinition
        fields = [
            "id",
            "version",
            "protocol_version",
            "code",
            "name",
            "order",
            "visit_type",
            "anchor",
            "day_offset",
            "window_before",
            "window_after",
            "stipend_amount",
            "stipend_currency",
            "procedure_codes",
        ]

    def get_procedure_codes(self, obj: VisitDefinition) -> list[str]:
        return sorted(vp.procedure.code for vp in obj.visit_procedures.all())

    def create(self, validated_data: dict[str, Any]) -> VisitDefinition:
        validated_data.pop("version", None)
        pv = validated_data.pop("protocol_version")
        return services.add_visit_definition(pv, actor=self._actor(), reason=self._reason(), **validated_data)

    def update(self, instance: VisitDefinition, validated_data: dict[str, Any]) -> VisitDefinition:
        expected, changes = self._changes(instance, validated_data)
        return services.edit_visit_definition(
            instance, actor=self._actor(), expected_version=expected, reason=self._reason(), **changes
        )


class CriterionSerializer(ServiceSerializer):
    parent_field = "protocol_version"
    number = serializers.IntegerField(min_value=1, required=False, help_text="Defaults to the next free number")

    class Meta:
        model = EligibilityCriterion
        fields = ["id", "version", "protocol_version", "kind", "number", "text"]

    def create(self, validated_data: dict[str, Any]) -> EligibilityCriterion:
        validated_data.pop("version", None)
        pv = validated_data.pop("protocol_version")
        return services.add_criterion(pv, actor=self._actor(), reason=self._reason(), **validated_data)

    def update(self, instance: EligibilityCriterion, validated_data: dict[str, Any]) -> EligibilityCriterion:
        expected, changes = self._changes(instance, validated_data)
        return services.edit_criterion(
            instance, actor=self._actor(), expected_version=expected, reason=self._reason(), **changes
        )


class TickSerializer(serializers.Serializer):
    visit = serializers.CharField(max_length=20, help_text="Visit code")
    procedure = serializers.CharField(max_length=30, help_text="Procedure code")


class ScheduleWriteSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The protocol version's `version` you read")
    ticks = TickSerializer(many=True, max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
