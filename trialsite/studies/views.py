from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from trialsite.core.exceptions import ConflictError
from trialsite.core.services import can_write
from trialsite.core.views import Column, RecordDetailView, RecordFormView, RecordListView
from trialsite.staff.models import Assignment
from trialsite.studies import services
from trialsite.studies.filters import StudyFilter, StudySiteFilter
from trialsite.studies.forms import StudyForm, StudySiteForm, TransitionForm
from trialsite.studies.models import Study, StudySite


class StudyList(RecordListView):
    model = Study
    queryset = Study.objects.select_related("sponsor", "cro")
    columns = [
        Column("Protocol", "protocol_number", sort="protocol_number", link=True),
        Column("Short name", "short_name", sort="short_name"),
        Column("Sponsor", "sponsor", sort="sponsor__name"),
        Column("Phase", "phase", sort="phase"),
        Column("Area", "therapeutic_area", sort="therapeutic_area"),
        Column("Status", "status", sort="status"),
        Column("Target", "enrollment_target", sort="enrollment_target"),
    ]
    search_fields = ["protocol_number", "short_name", "title", "registry_id"]
    filterset_class = StudyFilter
    create_url_name = "studies:study_create"
    csv_export = True


class StudyDetail(RecordDetailView):
    model = Study
    queryset = Study.objects.select_related("sponsor", "cro")
    edit_url_name = "studies:study_edit"
    fields = [
        ("Protocol number", "protocol_number"),
        ("Short name", "short_name"),
        ("Title", "title"),
        ("Sponsor", "sponsor"),
        ("CRO", "cro"),
        ("Phase", "phase"),
        ("Therapeutic area", "therapeutic_area"),
        ("Conditions", lambda s: "; ".join(s.conditions)),
        ("Registry id", "registry_id"),
        ("Status", "status"),
        ("Enrollment target", "enrollment_target"),
        ("Planned start", "planned_start"),
        ("Planned end", "planned_end"),
    ]

    def actions(self) -> list[dict[str, Any]]:
        return [
            {"label": "Protocol and schedule", "url": reverse("protocols:version_list") + f"?study={self.object.pk}"}
        ]

    def related_sections(self) -> list[dict[str, Any]]:
        rows = (
            StudySite.objects.visible_to(self.request.user)
            .filter(study=self.object)
            .select_related("site", "study", "principal_investigator")
        )
        return [
            {
                "title": "Sites",
                "columns": [
                    Column("Site", lambda ss: ss, link=True),
                    Column("Status", "status"),
                    Column("PI", "principal_investigator"),
                    Column("Target", "enrollment_target"),
                ],
                "objects": rows,
                "add_url": reverse("studies:studysite_create") + f"?study={self.object.pk}"
                if StudySite.can_create(self.grants)
                else None,
            }
        ]


class StudyCreate(RecordFormView):
    model = Study
    form_class = StudyForm


class StudyEdit(RecordFormView):
    model = Study
    form_class = StudyForm


class StudySiteList(RecordListView):
    model = StudySite
    queryset = StudySite.objects.select_related("study", "site", "principal_investigator")
    columns = [
        Column("Study at site", lambda ss: ss, link=True),
        Column("Site", "site.name", sort="site__code"),
        Column("Status", "status", sort="status"),
        Column("PI", "principal_investigator"),
        Column("Target", "enrollment_target", sort="enrollment_target"),
        Column("Activated", "activated_on", sort="activated_on"),
    ]
    search_fields = ["study__protocol_number", "study__short_name", "site__code", "site__name", "site_number"]
    filterset_class = StudySiteFilter
    create_url_name = "studies:studysite_create"
    csv_export = True
    title = "Studies at sites"


class StudySiteDetail(RecordDetailView):
    model = StudySite
    queryset = StudySite.objects.select_related("study", "site", "principal_investigator", "irb")
    edit_url_name = "studies:studysite_edit"
    fields = [
        ("Study", "study"),
        ("Site", "site"),
        ("Site number", "site_number"),
        ("Status", "status"),
        ("Principal investigator", "principal_investigator"),
        ("IRB / ethics committee", "irb"),
        ("Enrollment target", "enrollment_target"),
        ("Selected", "selected_on"),
        ("Activated", "activated_on"),
        ("First participant in", "first_participant_in_on"),
        ("Closed", "closed_on"),
    ]

    def actions(self) -> list[dict[str, Any]]:
        if can_write(self.request.user, self.object) and services.allowed_next(self.object):
            return [{"label": "Change status", "url": reverse("studies:studysite_transition", args=[self.object.pk])}]
        return []

    def related_sections(self) -> list[dict[str, Any]]:
        staff = (
            Assignment.objects.visible_to(self.request.user)
            .filter(study_site=self.object)
            .select_related("person", "study_site__study", "study_site__site")
        )
        return [
            {
                "title": "Study team",
                "columns": [
                    Column("Person", "person", link=False),
                    Column("Study role", "study_role"),
                    Column("From", "starts_on"),
                    Column("To", "ends_on"),
                ],
                "objects": staff,
                "add_url": reverse("staff:assignment_create") + f"?study_site={self.object.pk}"
                if can_write(self.request.user, self.object)
                else None,
            }
        ]


class StudySiteCreate(RecordFormView):
    model = StudySite
    form_class = StudySiteForm


class StudySiteEdit(RecordFormView):
    model = StudySite
    form_class = StudySiteForm


def studysite_transition(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    study_site = get_object_or_404(StudySite.objects.visible_to(request.user).select_related("study", "site"), pk=pk)
    if not can_write(request.user, study_site):
        raise PermissionDenied("You may read this study at a site but not change it.")
    form = TransitionForm(request.POST or None, initial={"version": study_site.version})
    form.fields["status"].choices = [(s, StudySite.Status(s).label) for s in services.allowed_next(study_site)]
    if request.method == "POST" and form.is_valid():
        try:
            services.transition_study_site(
                study_site,
                to=form.cleaned_data["status"],
                actor=request.user,
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            for field, errs in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errs)
        except ConflictError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Status changed.")
            return redirect(study_site.get_absolute_url())
    return render(
        request,
        "core/form.html",
        {"form": form, "title": f"Change status of {study_site}", "cancel_url": study_site.get_absolute_url()},
    )
