from typing import Any

from django.urls import reverse

from trialsite.core.views import Column, RecordDetailView, RecordFormView, RecordListView
from trialsite.network.filters import OrganizationFilter, SiteFilter
from trialsite.network.forms import OrganizationForm, SiteClosureForm, SiteForm
from trialsite.network.models import Organization, Site, SiteClosure
from trialsite.studies.models import StudySite


class SiteList(RecordListView):
    model = Site
    columns = [
        Column("Code", "code", sort="code", link=True),
        Column("Name", "name", sort="name"),
        Column("City", "city", sort="city"),
        Column("Country", "country", sort="country"),
        Column("Time zone", "time_zone"),
        Column("Status", "status", sort="status"),
    ]
    search_fields = ["code", "name", "city", "legal_entity"]
    filterset_class = SiteFilter
    create_url_name = "network:site_create"
    csv_export = True


class SiteDetail(RecordDetailView):
    model = Site
    edit_url_name = "network:site_edit"
    fields = [
        ("Code", "code"),
        ("Name", "name"),
        ("Legal entity", "legal_entity"),
        ("Address", "address_line"),
        ("City", "city"),
        ("Postal code", "postal_code"),
        ("Region", "region"),
        ("Country", "country"),
        ("Time zone", "time_zone"),
        ("Status", "status"),
        ("Capabilities", lambda s: ", ".join(s.get_capabilities_display())),
        ("Therapeutic areas", lambda s: ", ".join(s.get_therapeutic_areas_display())),
        ("Clinic days", lambda s: ", ".join(s.get_clinic_days_display())),
        ("Daily visit capacity", "daily_visit_capacity"),
        ("Phone", "phone"),
        ("E-mail", "email"),
    ]

    def related_sections(self) -> list[dict[str, Any]]:
        site = self.object
        study_sites = StudySite.objects.visible_to(self.request.user).filter(site=site).select_related("study", "site")
        closures = SiteClosure.objects.visible_to(self.request.user).filter(site=site)
        can_add = self.get_context_data_can_edit(site)
        return [
            {
                "title": "Studies at this site",
                "columns": [
                    Column("Study", "study", link=True),
                    Column("Status", "status"),
                    Column("Target", "enrollment_target"),
                ],
                "objects": study_sites,
            },
            {
                "title": "Closures",
                "columns": [Column("From", "starts_on"), Column("To", "ends_on"), Column("Reason", "reason")],
                "objects": closures,
                "add_url": reverse("network:closure_create") + f"?site={site.pk}" if can_add else None,
            },
        ]

    def get_context_data_can_edit(self, site: Site) -> bool:
        from trialsite.core.services import can_write

        return can_write(self.request.user, site)


class SiteCreate(RecordFormView):
    model = Site
    form_class = SiteForm


class SiteEdit(RecordFormView):
    model = Site
    form_class = SiteForm


class ClosureCreate(RecordFormView):
    model = SiteClosure
    form_class = SiteClosureForm

    def get_success_url(self, instance: SiteClosure | None = None) -> str:
        return instance.site.get_absolute_url()


class OrganizationList(RecordListView):
    model = Organization
    columns = [
        Column("Name", "name", sort="name", link=True),
        Column("Short name", "short_name"),
        Column("Kind", "kind", sort="kind"),
        Column("Country", "country", sort="country"),
        Column("Contact", "contact_name"),
        Column("Active", lambda o: "yes" if o.is_active else "no"),
    ]
    search_fields = ["name", "short_name", "contact_name"]
    filterset_class = OrganizationFilter
    create_url_name = "network:organization_create"
    csv_export = True


class OrganizationDetail(RecordDetailView):
    model = Organization
    edit_url_name = "network:organization_edit"
    fields = [
        ("Kind", "kind"),
        ("Name", "name"),
        ("Short name", "short_name"),
        ("Country", "country"),
        ("Contact", "contact_name"),
        ("Contact e-mail", "contact_email"),
        ("Phone", "phone"),
        ("Website", "website"),
        ("Active", lambda o: "yes" if o.is_active else "no"),
    ]


class OrganizationCreate(RecordFormView):
    model = Organization
    form_class = OrganizationForm


class OrganizationEdit(RecordFormView):
    model = Organization
    form_class = OrganizationForm
