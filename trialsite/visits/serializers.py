from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trialsite.accounts.scoping import grants_for
from trialsite.visits.models import CalendarFeed, Visit

MAX_VERSION = 2_147_483_647


class VisitSerializer(serializers.ModelSerializer):
    """A visit as read; writes go through the actions (complete, miss, reschedule, unscheduled)."""

    participant_label = serializers.SerializerMethodField(help_text="The participant's study ID (no identity)")
    participant_name = serializers.SerializerMethodField(help_text="Only for identity roles; null otherwise")
    site = serializers.IntegerField(source="study_site.site_id", read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id",
            "version",
            "participant",
            "participant_label",
            "participant_name",
            "study_site",
            "site",
            "definition",
            "code",
            "name",
            "visit_type",
            "sequence",
            "target_on",
            "window_start",
            "window_end",
            "planned_on",
            "planning_note",
            "status",
            "actual_on",
            "procedures_done",
            "missed_reason",
            "out_of_window",
            "deviation_candidate",
            "coordinator",
            "updated_at",
        ]
        read_only_fields = fields

    def get_participant_label(self, visit: Visit) -> str:
        return visit.participant.study_label

    def get_participant_name(self, visit: Visit) -> str | None:
        request = self.context.get("request")
        grants = grants_for(getattr(request, "user", None))
        if grants.can_see_identity(visit.study_site.site_id, visit.study_site_id):
            return f"{visit.participant.first_name} {visit.participant.last_name}"
        return None


class CompleteSerializer(serializers.Serializer):
    actual_on = serializers.DateField()
    procedures = serializers.DictField(
        child=serializers.BooleanField(), required=False, default=dict, help_text="Procedure code → done (true/false)"
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)


class MissSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)


class RescheduleSerializer(serializers.Serializer):
    planned_on = serializers.DateField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)


class UnscheduledSerializer(serializers.Serializer):
    participant = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)
    planned_on = serializers.DateField()
    name = serializers.CharField(required=False, max_length=120, default="Unscheduled visit")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class CalendarFeedSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="The secret feed address; shown to its creator only")

    class Meta:
        model = CalendarFeed
        fields = ["id", "version", "site", "coordinator", "label", "created_by", "created_at", "revoked_at", "url"]
        read_only_fields = fields

    def get_url(self, feed: CalendarFeed) -> str | None:
        from django.urls import reverse

        request = self.context.get("request")
        if request is None or feed.created_by_id != request.user.pk or feed.revoked_at is not None:
            return None
        return request.build_absolute_uri(reverse("visits:feed_ics", args=[feed.token]))


class CalendarFeedCreateSerializer(serializers.Serializer):
    site = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_VERSION)
    coordinator = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_VERSION)
    label = serializers.CharField(required=False, allow_blank=True, max_length=120, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("site")) == bool(attrs.get("coordinator")):
            raise serializers.ValidationError({"site": ["Give either a site or a coordinator."]})
        return attrs
