from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers
from rest_framework.routers import BaseRouter

from trialsite.accounts import services
from trialsite.accounts.models import RoleAssignment, User
from trialsite.core.api import ScopedViewSet, VersionedModelSerializer


class UserSerializer(VersionedModelSerializer):
    class Meta:
        model = User
        fields = [
            "id",
            "version",
            "username",
            "first_name",
            "last_name",
            "display_name",
            "email",
            "is_active",
            "last_login",
        ]
        read_only_fields = ["last_login"]

    def create(self, validated_data):  # noqa: ANN001, ANN201
        validated_data.pop("version", None)
        user = User(**validated_data)
        user.set_unusable_password()
        return self._save(user)


class RoleAssignmentSerializer(VersionedModelSerializer):
    scope_label = serializers.CharField(read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    site_code = serializers.CharField(source="site.code", read_only=True, allow_null=True)
    study_site_label = serializers.CharField(source="study_site", read_only=True, allow_null=True)

    class Meta:
        model = RoleAssignment
        fields = [
            "id",
            "version",
            "user",
            "username",
            "role",
            "site",
            "site_code",
            "study_site",
            "study_site_label",
            "scope_label",
            "is_active",
        ]

    def create(self, validated_data: dict[str, Any]) -> RoleAssignment:
        validated_data.pop("version", None)
        validated_data.pop("is_active", None)  # a grant starts active
        return services.grant_role(actor=self.context["request"].user, reason=self.audit_reason, **validated_data)

    def update(self, instance: RoleAssignment, validated_data: dict[str, Any]) -> RoleAssignment:
        """Only revoke/restore (is_active); who holds which role where is fixed once granted."""
        version = validated_data.pop("version")
        fixed = [k for k, v in validated_data.items() if k != "is_active" and getattr(instance, k) != v]
        if fixed:
            raise serializers.ValidationError(
                {k: ["A granted role cannot be changed: revoke it and grant a new one."] for k in fixed}
            )
        try:
            return services.set_role_active(
                instance,
                actor=self.context["request"].user,
                active=validated_data.get("is_active", instance.is_active),
                expected_version=version,
                reason=self.audit_reason,
            )
        except DjangoValidationError as exc:  # the service names its input `reason`
            errors = exc.message_dict
            raise serializers.ValidationError(
                {("change_reason" if k == "reason" else k): v for k, v in errors.items()}
            ) from exc


class UserViewSet(ScopedViewSet):
    """Logins. Deactivate with is_active=false; users are never deleted (their IDs are never reused)."""

    queryset = User.objects.all()
    serializer_class = UserSerializer
    filterset_fields = ["is_active"]
    search_fields = ["username", "first_name", "last_name", "email"]
    ordering_fields = ["username", "last_login"]
    ordering = ["username"]


class RoleAssignmentViewSet(ScopedViewSet):
    queryset = RoleAssignment.objects.select_related("user", "site", "study_site__study", "study_site__site")
    serializer_class = RoleAssignmentSerializer
    filterset_fields = ["user", "role", "site", "study_site", "is_active"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    ordering_fields = ["role", "user__username"]
    ordering = ["user__username", "role"]


def register(router: BaseRouter) -> None:
    router.register("users", UserViewSet)
    router.register("role-assignments", RoleAssignmentViewSet)
