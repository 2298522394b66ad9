from trialsite.core.api import VersionedModelSerializer
from trialsite.staff.models import Assignment, Person


class PersonSerializer(VersionedModelSerializer):
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
            "user",
            "is_active",
        ]


class AssignmentSerializer(VersionedModelSerializer):
    class Meta:
        model = Assignment
        fields = ["id", "version", "person", "study_site", "study_role", "starts_on", "ends_on", "effort_percent"]
