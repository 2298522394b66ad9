"""Participants API: records are read here; every change goes through participants.services.

Identity: for site roles (site manager, site staff) a participant carries `first_name`, `last_name`,
`birth_date`, `sex`, `phone`, `email`, `medical_record_number`. For every other role (external
monitor, finance, QA, network operations) those keys are absent from the JSON (see the
`ParticipantStudyOnly` schema); name search (`?name=`) only matches participants whose identity
the caller may see.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from trialsite.accounts.scoping import grants_for
from trialsite.core.api import AuditedAPIMixin
from trialsite.participants import services
from trialsite.participants.filters import ParticipantFilter
from trialsite.participants.identity import identity_q, log_identity_read
from trialsite.participants.models import (
    Consent,
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)
from trialsite.participants.serializers import (
    ConsentFormVersionSerializer,
    ConsentSerializer,
    ContactAttemptSerializer,
    DayOneSerializer,
    EligibilityAssessmentSerializer,
    EligibilitySerializer,
    EnrollSerializer,
    OptionalReasonStepSerializer,
    ParticipantSerializer,
    ParticipantStudyOnlySerializer,
    PreScreenSerializer,
    ProspectUpdateSerializer,
    ReasonStepSerializer,
    RetireSerializer,
)

PARTICIPANT_SHAPES = PolymorphicProxySerializer(
    component_name="ParticipantForRole",
    serializers=[ParticipantSerializer, ParticipantStudyOnlySerializer],
    resource_type_field_name=None,
)


class ScopedReadMixin(AuditedAPIMixin):
    def get_queryset(self):  # noqa: ANN201
        return super().get_queryset().visible_to(self.request.user, "view")


class ScopedCreateMixin(ScopedReadMixin):
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Roles that may never write funnel records are refused before their input is read."""
        if not self.get_queryset().model.can_create(grants_for(request.user)):
            raise exceptions.PermissionDenied("Your roles do not allow creating this kind of record.")
        return super().create(request, *args, **kwargs)


def _validated(serializer_class: type, request: Request) -> dict[str, Any]:
    s = serializer_class(data=request.data, context={"request": request})
    s.is_valid(raise_exception=True)
    return s.validated_data


@extend_schema_view(
    list=extend_schema(responses=PARTICIPANT_SHAPES, parameters=[OpenApiParameter("name", str)]),
    retrieve=extend_schema(responses=PARTICIPANT_SHAPES),
)
class ParticipantViewSet(
    ScopedCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Participants in scope. POST creates a prospect; PATCH corrects identity/referral; steps are actions."""

    queryset = Participant.objects.select_related("study_site")
    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilter
    search_fields = ["screening_number", "subject_id"]
    ordering_fields = ["referred_on", "stage", "subject_id", "screening_number", "enrolled_on"]
    ordering = ["-referred_on", "pk"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):  # noqa: ANN201
        qs = super().get_queryset()
        name = self.request.query_params.get("name", "").strip()[:100]
        if name and self.action == "list":
            from django.db.models import Q

            qs = qs.filter(identity_q(self.request.user)).filter(
                Q(first_name__icontains=name) | Q(last_name__icontains=name)
            )
        return qs

    def finalize_response(self, request, response, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        shown = getattr(request, "_identity_shown", None)
        if shown:
            log_identity_read(request.user, shown, f"api:{request.path}")
        return super().finalize_response(request, response, *args, **kwargs)

    def perform_create(self, serializer: ParticipantSerializer) -> None:
        data = dict(serializer.validated_data)
        study_site = data.pop("study_site")
        data.pop("version", None)
        serializer.instance = services.create_prospect(actor=self.request.user, study_site=study_site, **data)

    @extend_schema(request=ProspectUpdateSerializer, responses=PARTICIPANT_SHAPES)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = dict(_validated(ProspectUpdateSerializer, request))
        version = v.pop("version")
        reason = v.pop("reason", "")
        updated = services.update_prospect(p, actor=request.user, expected_version=version, reason=reason, **v)
        return self._answer(updated)

    def _answer(self, participant: Participant, code: int = status.HTTP_200_OK) -> Response:
        participant = self.get_queryset().get(pk=participant.pk)
        return Response(self.get_serializer(participant).data, status=code)

    @extend_schema(request=PreScreenSerializer, responses=PARTICIPANT_SHAPES)
    @action(detail=True, methods=["post"], url_path="pre-screen")
    def pre_screen(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(PreScreenSerializer, request)
        p = services.record_pre_screen(
            p,
            actor=request.user,
            passed=v["passed"],
            reason=v["reason"],
            on=v.get("on"),
            expected_version=v["version"],
        )
        return self._answer(p)

    @extend_schema(request=ConsentSerializer, responses=ConsentSerializer)
    @action(detail=True, methods=["post"])
    def consent(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        data = {**request.data, "participant": p.pk} if isinstance(request.data, dict) else request.data
        s = ConsentSerializer(data=data, context={"request": request})
        s.is_valid(raise_exception=True)
        consent = _record_consent(request, s.validated_data)
        return Response(ConsentSerializer(consent, context={"request": request}).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=EligibilitySerializer, responses=EligibilityAssessmentSerializer(many=True))
    @action(detail=True, methods=["post"])
    def eligibility(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(EligibilitySerializer, request)
        rows = services.record_eligibility(
            p,
            actor=request.user,
            answers={a["criterion"]: a["answer"] for a in v["answers"]},
            notes={a["criterion"]: a["note"] for a in v["answers"]},
            assessed_by=v["assessed_by"],
            assessed_at=v.get("assessed_at"),
        )
        return Response(EligibilityAssessmentSerializer(rows, many=True).data)

    @extend_schema(request=ReasonStepSerializer, responses=PARTICIPANT_SHAPES)
    @action(detail=True, methods=["post"], url_path="screen-fail")
    def screen_fail(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(ReasonStepSerializer, request)
        p = services.screen_fail(
            p, actor=request.user, reason=v["reason"], on=v.get("on"), expected_version=v["version"]
        )
        return self._answer(p)

    @extend_schema(request=EnrollSerializer, responses=PARTICIPANT_SHAPES)
    @action(detail=True, methods=["post"])
    def enroll(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(EnrollSerializer, request)
        p = services.enroll(
            p,
            actor=request.user,
            subject_id=v["subject_id"],
            enrolled_on=v["enrolled_on"],
            arm=v["arm"],
            expected_version=v["version"],
        )
        return self._answer(p)

    @extend_schema(request=DayOneSerializer, responses=PARTICIPANT_SHAPES)
    @action(detail=True, methods=["post"], url_path="day-1")
    def day_1(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(DayOneSerializer, request)
        p = services.set_day_1(p, actor=request.user, on=v["on"], expected_version=v["version"])
        return self._answer(p)

    @extend_schema(request=OptionalReasonStepSerializer, responses=PARTICIPANT_SHAPES)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(OptionalReasonStepSerializer, request)
        p = services.complete(p, actor=request.user, on=v.get("on"), expected_version=v["version"])
        return self._answer(p)

    @extend_schema(request=ReasonStepSerializer, responses=PARTICIPANT_SHAPES)
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(ReasonStepSerializer, request)
        p = services.withdraw(p, actor=request.user, reason=v["reason"], on=v.get("on"), expected_version=v["version"])
        return self._answer(p)

    @extend_schema(request=OptionalReasonStepSerializer, responses=PARTICIPANT_SHAPES)
    @action(detail=True, methods=["post"], url_path="lost-to-follow-up")
    def lost_to_follow_up(self, request: Request, pk: str | None = None) -> Response:
        p = self.get_object()
        v = _validated(OptionalReasonStepSerializer, request)
        p = services.lost_to_follow_up(
            p, actor=request.user, reason=v["reason"], on=v.get("on"), expected_version=v["version"]
        )
        return self._answer(p)

    @extend_schema(responses=PARTICIPANT_SHAPES)
    @action(detail=False, methods=["get"], url_path="reconsent-due")
    def reconsent_due(self, request: Request) -> Response:
        qs = services.reconsent_due(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=PARTICIPANT_SHAPES)
    @action(detail=False, methods=["get"], url_path="awaiting-contact")
    def awaiting_contact(self, request: Request) -> Response:
        qs = services.awaiting_first_contact(self.get_queryset())
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


def _record_consent(request: Request, v: dict[str, Any]) -> Consent:
    return services.record_consent(
        v["participant"],
        actor=request.user,
        form_version=v["form_version"],
        consented_at=v["consented_at"],
        obtained_by=v["obtained_by"],
        screening_number=v.get("screening_number", ""),
        expected_version=v.get("participant_version"),
    )


class ContactAttemptViewSet(
    ScopedCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Contact attempts with prospects. POST logs one (service `log_contact_attempt`)."""

    queryset = ContactAttempt.objects.select_related("by")
    serializer_class = ContactAttemptSerializer
    filterset_fields = ["participant", "method", "outcome"]
    ordering_fields = ["at"]
    ordering = ["at", "pk"]

    def perform_create(self, serializer: ContactAttemptSerializer) -> None:
        v = serializer.validated_data
        serializer.instance = services.log_contact_attempt(
            v["participant"],
            actor=self.request.user,
            at=v["at"],
            method=v["method"],
            outcome=v["outcome"],
            notes=v.get("notes", ""),
        )


class ConsentViewSet(
    ScopedCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Signed consents. POST records one (first consent starts screening; later ones are re-consents)."""

    queryset = Consent.objects.select_related("obtained_by")
    serializer_class = ConsentSerializer
    filterset_fields = ["participant", "form_version", "is_reconsent"]
    ordering_fields = ["consented_at"]
    ordering = ["consented_at", "pk"]

    def perform_create(self, serializer: ConsentSerializer) -> None:
        serializer.instance = _record_consent(self.request, serializer.validated_data)


class ConsentFormVersionViewSet(
    ScopedCreateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """ICF versions per study site. POST adds one; `retire` takes it out of force."""

    queryset = ConsentFormVersion.objects.all()
    serializer_class = ConsentFormVersionSerializer
    filterset_fields = ["study_site", "language"]
    ordering_fields = ["effective_on", "irb_approved_on"]
    ordering = ["study_site", "effective_on", "pk"]

    def perform_create(self, serializer: ConsentFormVersionSerializer) -> None:
        v = dict(serializer.validated_data)
        v.pop("version", None)
        serializer.instance = services.add_icf_version(actor=self.request.user, **v)

    @extend_schema(request=RetireSerializer, responses=ConsentFormVersionSerializer)
    @action(detail=True, methods=["post"])
    def retire(self, request: Request, pk: str | None = None) -> Response:
        icf = self.get_object()
        v = _validated(RetireSerializer, request)
        updated = services.retire_icf_version(
            icf, actor=request.user, on=v["on"], reason=v["reason"], expected_version=v["version"]
        )
        return Response(ConsentFormVersionSerializer(updated, context={"request": request}).data)


class EligibilityAssessmentViewSet(ScopedReadMixin, viewsets.ReadOnlyModelViewSet):
    """Eligibility answers (write them with POST /participants/{id}/eligibility/)."""

    queryset = EligibilityAssessment.objects.select_related("criterion", "assessed_by")
    serializer_class = EligibilityAssessmentSerializer
    filterset_fields = ["participant", "answer"]
    ordering = ["participant", "criterion__kind", "criterion__number"]


def register(router: BaseRouter) -> None:
    router.register("participants", ParticipantViewSet)
    router.register("contact-attempts", ContactAttemptViewSet)
    router.register("consents", ConsentViewSet)
    router.register("icf-versions", ConsentFormVersionViewSet)
    router.register("eligibility-answers", EligibilityAssessmentViewSet)
