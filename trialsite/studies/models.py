"""Studies (protocols) and a study at a site, with its life cycle."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from trialsite.accounts.roles import NETWORK_WRITERS, SITE_WRITERS
from trialsite.core.models import AuditedModel
from trialsite.network.vocab import TherapeuticArea


class Study(AuditedModel):
    class Phase(models.TextChoices):
        EARLY_1 = "early_1", "Early phase I"
        PHASE_1 = "1", "Phase I"
        PHASE_1_2 = "1/2", "Phase I/II"
        PHASE_2 = "2", "Phase II"
        PHASE_2_3 = "2/3", "Phase II/III"
        PHASE_3 = "3", "Phase III"
        PHASE_4 = "4", "Phase IV"
        NA = "na", "Not applicable (device/observational)"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        START_UP = "start_up", "Start-up"
        ENROLLING = "enrolling", "Enrolling"
        ENROLLMENT_CLOSED = "enrollment_closed", "Enrollment closed"
        COMPLETED = "completed", "Completed"
        TERMINATED = "terminated", "Terminated"

    protocol_number = models.CharField(max_length=60, unique=True)
    short_name = models.CharField(max_length=80)
    title = models.TextField()
    sponsor = models.ForeignKey(
        "network.Organization",
        on_delete=models.PROTECT,
        related_name="sponsored_studies",
        limit_choices_to={"kind": "sponsor"},
    )
    cro = models.ForeignKey(
        "network.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cro_studies",
        limit_choices_to={"kind": "cro"},
    )
    phase = models.CharField(max_length=10, choices=Phase.choices)
    therapeutic_area = models.CharField(max_length=30, choices=TherapeuticArea.choices)
    conditions = models.JSONField(default=list, blank=True, help_text="Conditions studied, one per line")
    registry_id = models.CharField(
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(
                r"^(NCT\d{8}|\d{4}-\d{6}-\d{2}(-\d{2})?|[A-Za-z0-9-]{3,20})$", "Use a registry id such as NCT01234567."
            )
        ],
        help_text="e.g. ClinicalTrials.gov NCT number or EU CT number",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    enrollment_target = models.PositiveIntegerField(null=True, blank=True, help_text="Participants across all sites")
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)

    scope_site = "study_sites__site"
    scope_study_site = "study_sites"
    scope_multi = True
    scope_write_roles = NETWORK_WRITERS

    class Meta:
        ordering = ["protocol_number"]
        verbose_name_plural = "studies"

    def __str__(self) -> str:
        return f"{self.protocol_number} {self.short_name}"

    def get_absolute_url(self) -> str:
        return reverse("studies:study_detail", args=[self.pk])

    def clean(self) -> None:
        if self.planned_start and self.planned_end and self.planned_end < self.planned_start:
            raise ValidationError({"planned_end": "The planned end cannot be before the planned start."})
        if self.sponsor_id and self.sponsor.kind != "sponsor":
            raise ValidationError({"sponsor": "Choose an organization of kind sponsor."})
        if self.cro_id and self.cro.kind != "cro":
            raise ValidationError({"cro": "Choose an organization of kind CRO."})


class StudySite(AuditedModel):
    """A study run at one site: the unit most operational work belongs to."""

    class Status(models.TextChoices):
        FEASIBILITY = "feasibility", "Feasibility"
        SELECTED = "selected", "Selected"
        START_UP = "start_up", "Start-up"
        ACTIVE = "active", "Active (enrolling)"
        ENROLLMENT_CLOSED = "enrollment_closed", "Enrollment closed"
        CLOSED = "closed", "Closed out"
        NOT_SELECTED = "not_selected", "Not selected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    study = models.ForeignKey(Study, on_delete=models.PROTECT, related_name="study_sites")
    site = models.ForeignKey("network.Site", on_delete=models.PROTECT, related_name="study_sites")
    site_number = models.CharField(max_length=20, blank=True, help_text="The sponsor's number for this site")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.FEASIBILITY, editable=False)
    principal_investigator = models.ForeignKey(
        "staff.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="pi_of"
    )
    irb = models.ForeignKey(
        "network.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="irb_study_sites",
        limit_choices_to={"kind": "irb"},
        verbose_name="IRB / ethics committee",
    )
    enrollment_target = models.PositiveIntegerField(null=True, blank=True)
    selected_on = models.DateField(null=True, blank=True, editable=False)
    activated_on = models.DateField(null=True, blank=True, editable=False)
    first_participant_in_on = models.DateField(null=True, blank=True, verbose_name="first participant in")
    closed_on = models.DateField(null=True, blank=True, editable=False)

    scope_site = "site"
    scope_study_site = "pk"
    scope_write_roles = SITE_WRITERS
    choice_related = ("study", "site")  # what __str__ reads, for dropdowns

    class Meta:
        ordering = ["study__protocol_number", "site__code"]
        constraints = [models.UniqueConstraint(fields=["study", "site"], name="studysite_unique_study_site")]
        verbose_name = "study at site"
        verbose_name_plural = "studies at sites"

    def __str__(self) -> str:
        return f"{self.study.protocol_number} @ {self.site.code}"

    def get_absolute_url(self) -> str:
        return reverse("studies:studysite_detail", args=[self.pk])

    @classmethod
    def can_create(cls, grants) -> bool:  # noqa: ANN001
        """A study is put at a site by network operations or that site's manager."""
        scope = grants.scope(cls.scope_write_roles)
        return scope.network or bool(scope.sites)

    def clean(self) -> None:
        if self.irb_id and self.irb.kind != "irb":
            raise ValidationError({"irb": "Choose an organization of kind IRB / ethics committee."})
        if (
            self.principal_investigator_id
            and self.site_id
            and self.principal_investigator.job_role not in ("pi", "sub_investigator")
        ):
            raise ValidationError(
                {"principal_investigator": "The principal investigator must be a PI or sub-investigator."}
            )
