from rest_framework.routers import BaseRouter

from trialsite.core.api import ScopedViewSet
from trialsite.staff.filters import AssignmentFilter, PersonFilter
from trialsite.staff.models import Assignment, Person
from trialsite.staff.serializers import AssignmentSerializer, PersonSerializer


class PersonViewSet(ScopedViewSet):
    """Staff of the network. Deactivate with is_active=false; people are never deleted."""

    queryset = Person.objects.select_related("home_site")
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    search_fields = ["first_name", "last_name", "email"]
    ordering_fields = ["last_name", "first_name", "job_role"]
    ordering = ["last_name", "first_name"]


class AssignmentViewSet(ScopedViewSet):
    """A person on a study at a site. End an assignment by setting ends_on."""

    queryset = Assignment.objects.select_related("person", "study_site__study", "study_site__site")
    serializer_class = AssignmentSerializer
    filterset_class = AssignmentFilter
    search_fields = ["person__last_name", "study_site__study__protocol_number"]
    ordering_fields = ["starts_on", "ends_on", "study_role"]
    ordering = ["study_site", "study_role"]


def register(router: BaseRouter) -> None:
    router.register("people", PersonViewSet)
    router.register("assignments", AssignmentViewSet)
