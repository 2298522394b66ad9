from rest_framework import serializers

from trialsite.core.api import VersionedModelSerializer
from trialsite.studies.models import Study, StudySite


class StudySerializer(VersionedModelSerializer):
    conditions = serializers.ListField(child=serializers.CharField(max_length=200), required=False)

    class Meta:
        model = Study
        fields = [
            "id",
            "version",
            "protocol_number",
            "short_name",
            "title",
            "sponsor",
            "cro",
            "phase",
            "therapeutic_area",
            "conditions",
            "registry_id",
            "status",
            "enrollment_target",
            "planned_start",
            "planned_end",
        ]


class StudySiteSerializer(VersionedModelSerializer):
    class Meta:
        model = StudySite
        fields = [
            "id",
            "version",
            "study",
            "site",
            "site_number",
            "status",
            "principal_investigator",
            "irb",
            "enrollment_target",
            "selected_on",
            "activated_on",
            "first_participant_in_on",
            "closed_on",
        ]
        read_only_fields = ["status", "selected_on", "activated_on", "closed_on"]


class TransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=StudySite.Status.choices)
    on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    version = serializers.IntegerField(min_value=1, help_text="The version you read; a stale one answers 409.")
