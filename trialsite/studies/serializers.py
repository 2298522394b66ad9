from rest_framework import serializers

from trialsite.core.api import VersionedModelSerializer
from trialsite.studies.models import Study, StudySite


class StudySerializer(VersionedModelSerializer):
    conditions = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=200)
    sponsor_name = serializers.CharField(source="sponsor.name", read_only=True)
    cro_name = serializers.CharField(source="cro.name", read_only=True, allow_null=True)

    class Meta:
        model = Study
        fields = [
            "id",
            "version",
            "protocol_number",
            "short_name",
            "title",
            "sponsor",
            "sponsor_name",
            "cro",
            "cro_name",
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
    """A study at a site, with the study's and site's identifiers read-only beside the ids."""

    protocol_number = serializers.CharField(source="study.protocol_number", read_only=True)
    study_short_name = serializers.CharField(source="study.short_name", read_only=True)
    site_code = serializers.CharField(source="site.code", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    principal_investigator_name = serializers.CharField(
        source="principal_investigator", read_only=True, allow_null=True
    )
    irb_name = serializers.CharField(source="irb.name", read_only=True, allow_null=True)

    class Meta:
        model = StudySite
        fields = [
            "id",
            "version",
            "study",
            "protocol_number",
            "study_short_name",
            "site",
            "site_code",
            "site_name",
            "site_number",
            "status",
            "principal_investigator",
            "principal_investigator_name",
            "irb",
            "irb_name",
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
    version = serializers.IntegerField(
        min_value=1,
        max_value=2_147_483_647,
        help_text="The version you read; a stale one answers 409. May be omitted when If-Match is sent.",
    )
