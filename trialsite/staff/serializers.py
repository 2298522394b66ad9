from rest_framework import serializers

from trialsite.core.api import VersionedModelSerializer
from trialsite.staff.models import Assignment, Person


class PersonSerializer(VersionedModelSerializer):
    home_site_code = serializers.CharField(source="home_site.code", read_only=True, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "version",
            "first_name",
            "last_name",
            "credentials",
            "job_role",
            "email",
            "phone",
            "home_site",
            "home_site_code",
            "user",
            "is_active",
        ]


class AssignmentSerializer(VersionedModelSerializer):
    person_name = serializers.CharField(source="person", read_only=True)
    study_site_label = serializers.CharField(source="study_site", read_only=True)
    is_current = serializers.BooleanField(read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id",
            "version",
            "person",
            "person_name",
            "study_site",
            "study_site_label",
            "study_role",
            "starts_on",
            "ends_on",
            "is_current",
            "effort_percent",
        ]
