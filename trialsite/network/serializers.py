from rest_framework import serializers

from trialsite.core.api import VersionedModelSerializer
from trialsite.network.models import Organization, Site, SiteClosure
from trialsite.network.vocab import Capability, TherapeuticArea, Weekday


class SiteSerializer(VersionedModelSerializer):
    capabilities = serializers.ListField(child=serializers.ChoiceField(choices=Capability.choices), required=False)
    therapeutic_areas = serializers.ListField(
        child=serializers.ChoiceField(choices=TherapeuticArea.choices), required=False
    )
    clinic_days = serializers.ListField(child=serializers.ChoiceField(choices=Weekday.choices), required=False)

    class Meta:
        model = Site
        fields = [
            "id",
            "version",
            "code",
            "name",
            "legal_entity",
            "address_line",
            "city",
            "postal_code",
            "region",
            "country",
            "time_zone",
            "status",
            "capabilities",
            "therapeutic_areas",
            "clinic_days",
            "daily_visit_capacity",
            "phone",
            "email",
            "created_at",
            "updated_at",
        ]


class SiteClosureSerializer(VersionedModelSerializer):
    site_code = serializers.CharField(source="site.code", read_only=True)

    class Meta:
        model = SiteClosure
        fields = ["id", "version", "site", "site_code", "starts_on", "ends_on", "reason"]


class OrganizationSerializer(VersionedModelSerializer):
    class Meta:
        model = Organization
        fields = [
            "id",
            "version",
            "kind",
            "name",
            "short_name",
            "country",
            "contact_name",
            "contact_email",
            "phone",
            "website",
            "is_active",
        ]
