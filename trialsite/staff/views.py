from typing import Any

from django.urls import reverse

from trialsite.core.views import Column, RecordDetailView, RecordFormView, RecordListView
from trialsite.staff.filters import AssignmentFilter, PersonFilter
from trialsite.staff.forms import AssignmentForm, PersonForm
from trialsite.staff.models import Assignment, Person


class PersonList(RecordListView):
    model = Person
    queryset = Person.objects.select_related("home_site")
    columns = [
        Column("Name", lambda p: p, link=True),
        Column("Last name", "last_name", sort="last_name"),
        Column("Job role", "job_role", sort="job_role"),
        Column("Home site", "home_site.code", sort="home_site__code"),
        Column("E-mail", "email"),
        Column("Active", lambda p: "yes" if p.is_active else "no"),
    ]
    search_fields = ["first_name", "last_name", "email", "credentials"]
    filterset_class = PersonFilter
    create_url_name = "staff:person_create"
    csv_export = True
    title = "People"


class PersonDetail(RecordDetailView):
    model = Person
    queryset = Person.objects.select_related("home_site", "user")
    edit_url_name = "staff:person_edit"
    fields = [
        ("Name", lambda p: p),
        ("Job role", "job_role"),
        ("Credentials", "credentials"),
        ("E-mail", "email"),
        ("Phone", "phone"),
        ("Home site", "home_site"),
        ("Login", "user.username"),
        ("Active", lambda p: "yes" if p.is_active else "no"),
    ]

    def related_sections(self) -> list[dict[str, Any]]:
        rows = (
            Assignment.objects.visible_to(self.request.user)
            .filter(person=self.object)
            .select_related("study_site__study", "study_site__site")
        )
        return [
            {
                "title": "Assignments",
                "columns": [
                    Column("Study at site", "study_site", link=False),
                    Column("Study role", "study_role"),
                    Column("From", "starts_on"),
                    Column("To", "ends_on"),
                    Column("Effort %", "effort_percent"),
                ],
                "objects": rows,
                "add_url": reverse("staff:assignment_create") + f"?person={self.object.pk}",
            }
        ]


class PersonCreate(RecordFormView):
    model = Person
    form_class = PersonForm


class PersonEdit(RecordFormView):
    model = Person
    form_class = PersonForm


class AssignmentList(RecordListView):
    model = Assignment
    queryset = Assignment.objects.select_related("person", "study_site__study", "study_site__site")
    columns = [
        Column("Person", "person", sort="person__last_name"),
        Column("Study at site", "study_site", sort="study_site__study__protocol_number"),
        Column("Study role", "study_role", sort="study_role"),
        Column("From", "starts_on", sort="starts_on", link=True),
        Column("To", "ends_on", sort="ends_on"),
        Column("Effort %", "effort_percent"),
    ]
    search_fields = [
        "person__first_name",
        "person__last_name",
        "study_site__study__protocol_number",
        "study_site__site__code",
    ]
    filterset_class = AssignmentFilter
    create_url_name = "staff:assignment_create"
    csv_export = True


class AssignmentDetail(RecordDetailView):
    model = Assignment
    queryset = Assignment.objects.select_related("person", "study_site__study", "study_site__site")
    edit_url_name = "staff:assignment_edit"
    fields = [
        ("Person", "person"),
        ("Study at site", "study_site"),
        ("Study role", "study_role"),
        ("From", "starts_on"),
        ("To", "ends_on"),
        ("Effort %", "effort_percent"),
        ("Current", lambda a: "yes" if a.is_current else "no"),
    ]


class AssignmentCreate(RecordFormView):
    model = Assignment
    form_class = AssignmentForm


class AssignmentEdit(RecordFormView):
    model = Assignment
    form_class = AssignmentForm
