"""API shapes of the funnel. Participant identity fields are omitted (not nulled) for non-identity roles."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trialsite.core.api import ScopedRelatedField
from trialsite.participants.identity import sees_identity
from trialsite.participants.models import (
    Consent,
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)
from trialsite.participants.services import PROSPECT_FIELDS
from trialsite.staff.models import Person
from trialsite.studies.models import StudySite

STUDY_FIELDS = [
    "id",
    "version",
    "study_site",
    "stage",
    "study_label",
    "referral_channel",
    "referral_source",
    "campaign",
    "referred_on",
    "pre_screened_on",
    "pre_screen_outcome_reason",
    "screening_number",
    "screen_fail_reason",
    "subject_id",
    "enrolled_on",
    "arm",
    "day_1_on",
    "ended_on",
    "end_reason",
]
IDENTITY_FIELDS = list(Participant.identity_fields)


class ParticipantSerializer(serializers.ModelSerializer):
    """A participant as a site role sees it: study fields plus identity."""

    study_site = ScopedRelatedField(queryset=StudySite.objects.all())
    study_label = serializers.CharField(read_only=True)

    class Meta:
        model = Participant
        fields = STUDY_FIELDS + IDENTITY_FIELDS
        read_only_fields = [
            "version",
            "stage",
            "pre_screened_on",
            "pre_screen_outcome_reason",
            "screening_number",
            "screen_fail_reason",
            "subject_id",
            "enrolled_on",
            "arm",
            "day_1_on",
            "ended_on",
            "end_reason",
        ]

    def to_representation(self, instance: Participant) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not sees_identity(request.user, instance):
            for name in IDENTITY_FIELDS:
                data.pop(name, None)
        else:  # the view logs who read which identity (standards P3)
            shown = getattr(request, "_identity_shown", None)
            if shown is None:
                shown = request._identity_shown = []
            shown.append(instance)
        return data


class ParticipantStudyOnlySerializer(serializers.ModelSerializer):
    """A participant as monitors, finance and QA see it: study identifiers only, no identity keys at all."""

    study_label = serializers.CharField(read_only=True)

    class Meta:
        model = Participant
        fields = STUDY_FIELDS
        read_only_fields = STUDY_FIELDS


class ProspectUpdateSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(min_value=1, help_text="The version you read; a stale one answers 409.")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")

    class Meta:
        model = Participant
        fields = ["version", "reason", *PROSPECT_FIELDS]
        extra_kwargs = {f: {"required": False} for f in fields[2:]}


class ContactAttemptSerializer(serializers.ModelSerializer):
    participant = ScopedRelatedField(queryset=Participant.objects.all())
    by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = ContactAttempt
        fields = ["id", "version", "participant", "at", "method", "outcome", "notes", "by"]
        read_only_fields = ["version", "by"]


class ConsentFormVersionSerializer(serializers.ModelSerializer):
    study_site = ScopedRelatedField(queryset=StudySite.objects.all())

    class Meta:
        model = ConsentFormVersion
        fields = ["id", "version", "study_site", "label", "language", "irb_approved_on", "effective_on", "retired_on"]
        read_only_fields = ["version", "retired_on"]


class ConsentSerializer(serializers.ModelSerializer):
    participant = ScopedRelatedField(queryset=Participant.objects.all())
    form_version = ScopedRelatedField(queryset=ConsentFormVersion.objects.all())
    obtained_by = ScopedRelatedField(queryset=Person.objects.all())
    obtained_by_name = serializers.StringRelatedField(source="obtained_by", read_only=True)
    screening_number = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=40, help_text="Required on first consent."
    )
    participant_version = serializers.IntegerField(
        write_only=True, required=False, min_value=1, help_text="The participant version you read (409 if stale)."
    )

    class Meta:
        model = Consent
        fields = [
            "id",
            "participant",
            "form_version",
            "consented_at",
            "obtained_by",
            "obtained_by_name",
            "is_reconsent",
            "screening_number",
            "participant_version",
        ]
        read_only_fields = ["is_reconsent"]


class EligibilityAssessmentSerializer(serializers.ModelSerializer):
    criterion_label = serializers.CharField(source="criterion.__str__", read_only=True)
    criterion_kind = serializers.CharField(source="criterion.kind", read_only=True)
    criterion_text = serializers.CharField(source="criterion.text", read_only=True)
    assessed_by_name = serializers.StringRelatedField(source="assessed_by", read_only=True)

    class Meta:
        model = EligibilityAssessment
        fields = [
            "id",
            "version",
            "participant",
            "criterion",
            "criterion_label",
            "criterion_kind",
            "criterion_text",
            "answer",
            "assessed_by",
            "assessed_by_name",
            "assessed_at",
            "note",
        ]
        read_only_fields = fields


# -- step payloads ---------------------------------------------------------------------------
class StepSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="The participant version you read; stale answers 409.")


class PreScreenSerializer(StepSerializer):
    passed = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    on = serializers.DateField(required=False, allow_null=True)


class AnswerSerializer(serializers.Serializer):
    criterion = serializers.IntegerField()
    answer = serializers.ChoiceField(choices=EligibilityAssessment.Answer.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class EligibilitySerializer(serializers.Serializer):
    answers = AnswerSerializer(many=True, allow_empty=False)
    assessed_by = ScopedRelatedField(queryset=Person.objects.all())
    assessed_at = serializers.DateTimeField(required=False, allow_null=True)


class ReasonStepSerializer(StepSerializer):
    reason = serializers.CharField(max_length=300, allow_blank=True)
    on = serializers.DateField(required=False, allow_null=True)


class OptionalReasonStepSerializer(StepSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    on = serializers.DateField(required=False, allow_null=True)


class EnrollSerializer(StepSerializer):
    subject_id = serializers.CharField(max_length=40)
    enrolled_on = serializers.DateField()
    arm = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")


class DayOneSerializer(StepSerializer):
    on = serializers.DateField()


class RetireSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    on = serializers.DateField()
    reason = serializers.CharField(max_length=300)
