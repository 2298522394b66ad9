"""A study's protocol: versions (amendments), the schedule of activities, eligibility criteria."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from trialsite.accounts.roles import NETWORK_WRITERS
from trialsite.core.models import AuditedModel


class StudyScoped(AuditedModel):
    """Study-level records: visible wherever the study runs at a site in scope; written by network operations."""

    scope_site = "study__study_sites__site"
    scope_study_site = "study__study_sites"
    scope_multi = True
    scope_write_roles = NETWORK_WRITERS

    class Meta:
        abstract = True


class ProtocolVersion(StudyScoped):
    """A protocol version or amendment; its schedule applies from `effective_on`."""

    study = models.ForeignKey("studies.Study", on_delete=models.PROTECT, related_name="protocol_versions")
    label = models.CharField(max_length=40, help_text="e.g. 1.0, Amendment 2")
    effective_on = models.DateField(help_text="The schedule applies to visits from this date")
    notes = models.TextField(blank=True)
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
        help_text="The version this amendment was copied from",
    )

    class Meta:
        ordering = ["study", "effective_on"]
        constraints = [
            models.UniqueConstraint(fields=["study", "label"], name="protocolversion_unique_label"),
            models.UniqueConstraint(fields=["study", "effective_on"], name="protocolversion_unique_effective_on"),
        ]

    def __str__(self) -> str:
        return f"{self.study.protocol_number} v{self.label}"

    def get_absolute_url(self) -> str:
        return reverse("protocols:version_detail", args=[self.pk])


class Procedure(StudyScoped):
    """A procedure of the study (labs, ECG, dosing, questionnaire...), the rows of the SoA grid."""

    class Category(models.TextChoices):
        LAB = "lab", "Laboratory"
        ECG = "ecg", "ECG"
        VITALS = "vitals", "Vital signs"
        EXAM = "exam", "Physical exam"
        DOSING = "dosing", "Dosing / IP"
        QUESTIONNAIRE = "questionnaire", "Questionnaire / PRO"
        IMAGING = "imaging", "Imaging"
        CONSENT = "consent", "Consent"
        OTHER = "other", "Other"

    study = models.ForeignKey("studies.Study", on_delete=models.PROTECT, related_name="procedures")
    code = models.CharField(max_length=30)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)

    class Meta:
        ordering = ["study", "category", "code"]
        constraints = [models.UniqueConstraint(fields=["study", "code"], name="procedure_unique_code")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class VisitDefinition(AuditedModel):
    """One visit of a protocol version's schedule of activities (a column of the SoA grid)."""

    class Anchor(models.TextChoices):
        CONSENT = "consent", "Consent"
        ENROLLMENT = "enrollment", "Randomization / enrollment"
        DAY_1 = "day_1", "Day 1 (first dose)"

    class VisitType(models.TextChoices):
        SCREENING = "screening", "Screening"
        TREATMENT = "treatment", "Treatment"
        FOLLOW_UP = "follow_up", "Follow-up"
        END_OF_STUDY = "end_of_study", "End of study"
        UNSCHEDULED = "unscheduled", "Unscheduled"

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="visit_definitions")
    code = models.CharField(max_length=20, help_text="e.g. V1, SCR, EOS")
    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(help_text="Position in the schedule")
    visit_type = models.CharField(max_length=20, choices=VisitType.choices)
    anchor = models.CharField(max_length=20, choices=Anchor.choices)
    day_offset = models.IntegerField(help_text="Days after the anchor event (0 = the anchor day)")
    window_before = models.PositiveIntegerField(default=0, help_text="Days allowed before the target")
    window_after = models.PositiveIntegerField(default=0, help_text="Days allowed after the target")
    stipend_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    stipend_currency = models.CharField(max_length=3, blank=True, help_text="ISO 4217, e.g. USD")

    scope_site = "protocol_version__study__study_sites__site"
    scope_study_site = "protocol_version__study__study_sites"
    scope_multi = True
    scope_write_roles = NETWORK_WRITERS

    class Meta:
        ordering = ["protocol_version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["protocol_version", "code"], name="visitdef_unique_code"),
            models.UniqueConstraint(fields=["protocol_version", "order"], name="visitdef_unique_order"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.stipend_amount is not None and not self.stipend_currency:
            raise ValidationError({"stipend_currency": "Give the currency of the stipend (e.g. USD)."})


class VisitProcedure(AuditedModel):
    """A procedure done at a visit: one tick of the SoA grid."""

    visit_definition = models.ForeignKey(VisitDefinition, on_delete=models.CASCADE, related_name="visit_procedures")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="visit_procedures")

    scope_site = "visit_definition__protocol_version__study__study_sites__site"
    scope_study_site = "visit_definition__protocol_version__study__study_sites"
    scope_multi = True
    scope_write_roles = NETWORK_WRITERS

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit_definition", "procedure"], name="visitprocedure_unique")]

    def __str__(self) -> str:
        return f"{self.procedure.code} at {self.visit_definition.code}"


class EligibilityCriterion(AuditedModel):
    """An inclusion or exclusion criterion of a protocol version."""

    class Kind(models.TextChoices):
        INCLUSION = "inclusion", "Inclusion"
        EXCLUSION = "exclusion", "Exclusion"

    protocol_version = models.ForeignKey(ProtocolVersion, on_delete=models.CASCADE, related_name="criteria")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    number = models.PositiveIntegerField()
    text = models.TextField()

    scope_site = "protocol_version__study__study_sites__site"
    scope_study_site = "protocol_version__study__study_sites"
    scope_multi = True
    scope_write_roles = NETWORK_WRITERS

    class Meta:
        ordering = ["protocol_version", "kind", "number"]
        constraints = [
            models.UniqueConstraint(fields=["protocol_version", "kind", "number"], name="criterion_unique_number")
        ]
        verbose_name_plural = "eligibility criteria"

    def __str__(self) -> str:
        return f"{'I' if self.kind == self.Kind.INCLUSION else 'E'}{self.number}"
