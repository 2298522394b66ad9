"""Participants of a study at a site, from referral to study end, with consent and eligibility."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from trialsite.accounts.roles import PARTICIPANT_WRITERS
from trialsite.core.models import AuditedModel


class StudySiteScoped(AuditedModel):
    """Records that belong to one study at a site, written by that site's team."""

    scope_site = "study_site__site"
    scope_study_site = "study_site"
    scope_write_roles = PARTICIPANT_WRITERS

    class Meta:
        abstract = True


class Participant(StudySiteScoped):
    """A person in the funnel of one study at a site. Identity fields are shown to site roles only."""

    class Stage(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        PRE_SCREENED = "pre_screened", "Pre-screened"
        PRE_SCREEN_FAILED = "pre_screen_failed", "Pre-screen failed"
        SCREENING = "screening", "Screening (consented)"
        SCREEN_FAILED = "screen_failed", "Screen failed"
        ENROLLED = "enrolled", "Enrolled"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"
        LOST_TO_FOLLOW_UP = "lost_to_follow_up", "Lost to follow-up"

    class Channel(models.TextChoices):
        DATABASE = "database", "Own database / EHR search"
        PHYSICIAN = "physician", "Physician referral"
        ADVERTISING = "advertising", "Advertising"
        REGISTRY = "registry", "Registry"
        OTHER = "other", "Other"

    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        OTHER = "O", "Other / undisclosed"

    study_site = models.ForeignKey("studies.StudySite", on_delete=models.PROTECT, related_name="participants")
    stage = models.CharField(
        max_length=20, choices=Stage.choices, default=Stage.PROSPECT, editable=False, db_index=True
    )
    # Identity (PHI): shown only to identity roles (standards P2).
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    medical_record_number = models.CharField(max_length=40, blank=True)
    # Referral
    referral_channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.OTHER)
    referral_source = models.CharField(max_length=200, blank=True, help_text="Who or what referred them")
    campaign = models.CharField(max_length=120, blank=True)
    referred_on = models.DateField()
    # Pre-screen
    pre_screened_on = models.DateField(null=True, blank=True, editable=False)
    pre_screen_outcome_reason = models.CharField(max_length=300, blank=True, editable=False)
    # Screening and enrollment (study identifiers, visible to every role in scope)
    screening_number = models.CharField(max_length=40, blank=True, editable=False)
    screen_fail_reason = models.CharField(max_length=300, blank=True, editable=False)
    subject_id = models.CharField(max_length=40, blank=True, editable=False)
    enrolled_on = models.DateField(null=True, blank=True, editable=False)
    arm = models.CharField(max_length=80, blank=True, editable=False)
    day_1_on = models.DateField(null=True, blank=True, editable=False, verbose_name="day 1")
    ended_on = models.DateField(null=True, blank=True, editable=False)
    end_reason = models.CharField(max_length=300, blank=True, editable=False)

    identity_fields = ("first_name", "last_name", "birth_date", "sex", "phone", "email", "medical_record_number")

    class Meta:
        ordering = ["study_site", "-referred_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["study_site", "screening_number"],
                condition=~models.Q(screening_number=""),
                name="participant_unique_screening_number",
            ),
            models.UniqueConstraint(
                fields=["study_site", "subject_id"],
                condition=~models.Q(subject_id=""),
                name="participant_unique_subject_id",
            ),
        ]
        indexes = [models.Index(fields=["study_site", "stage"])]

    def __str__(self) -> str:
        return self.study_label

    @property
    def study_label(self) -> str:
        """The identity-free label every role may see."""
        return self.subject_id or self.screening_number or f"P-{self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("participants:participant_detail", args=[self.pk])


class ContactAttempt(AuditedModel):
    class Method(models.TextChoices):
        PHONE = "phone", "Phone"
        SMS = "sms", "Text message"
        EMAIL = "email", "E-mail"
        IN_PERSON = "in_person", "In person"
        LETTER = "letter", "Letter"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached"
        NO_ANSWER = "no_answer", "No answer"
        LEFT_MESSAGE = "left_message", "Left message"
        WRONG_NUMBER = "wrong_number", "Wrong contact details"
        DECLINED = "declined", "Declined"

    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="contact_attempts")
    at = models.DateTimeField()
    method = models.CharField(max_length=20, choices=Method.choices)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    notes = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    scope_site = "participant__study_site__site"
    scope_study_site = "participant__study_site"
    scope_write_roles = PARTICIPANT_WRITERS

    class Meta:
        ordering = ["participant", "at"]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.at:%Y-%m-%d}: {self.get_outcome_display()}"


class ConsentFormVersion(StudySiteScoped):
    """An IRB-approved informed consent form (ICF) version at a study site."""

    label = models.CharField(max_length=40, help_text="e.g. 3.0 2026-05-01")
    language = models.CharField(max_length=20, default="en")
    irb_approved_on = models.DateField()
    effective_on = models.DateField(help_text="In force from this date")
    retired_on = models.DateField(null=True, blank=True, help_text="No longer in force from this date")
    study_site = models.ForeignKey("studies.StudySite", on_delete=models.PROTECT, related_name="consent_form_versions")

    class Meta:
        ordering = ["study_site", "effective_on"]
        constraints = [models.UniqueConstraint(fields=["study_site", "label", "language"], name="icf_unique_label")]
        verbose_name = "consent form version"

    def __str__(self) -> str:
        return f"ICF {self.label} ({self.language})"

    def get_absolute_url(self) -> str:
        return reverse("participants:icf_detail", args=[self.pk])


class Consent(AuditedModel):
    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="consents")
    form_version = models.ForeignKey(ConsentFormVersion, on_delete=models.PROTECT, related_name="consents")
    consented_at = models.DateTimeField()
    obtained_by = models.ForeignKey("staff.Person", on_delete=models.PROTECT, related_name="consents_obtained")
    is_reconsent = models.BooleanField(default=False)

    scope_site = "participant__study_site__site"
    scope_study_site = "participant__study_site"
    scope_write_roles = PARTICIPANT_WRITERS

    class Meta:
        ordering = ["participant", "consented_at"]

    def __str__(self) -> str:
        return f"Consent {self.form_version.label} on {self.consented_at:%Y-%m-%d}"


class EligibilityAssessment(AuditedModel):
    """One criterion assessed for one participant, by a named person at a time."""

    class Answer(models.TextChoices):
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"
        NOT_APPLICABLE = "na", "Not applicable"

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="eligibility")
    criterion = models.ForeignKey("protocols.EligibilityCriterion", on_delete=models.PROTECT, related_name="+")
    answer = models.CharField(max_length=10, choices=Answer.choices)
    assessed_by = models.ForeignKey("staff.Person", on_delete=models.PROTECT, related_name="+")
    assessed_at = models.DateTimeField()
    note = models.CharField(max_length=300, blank=True)

    scope_site = "participant__study_site__site"
    scope_study_site = "participant__study_site"
    scope_write_roles = PARTICIPANT_WRITERS

    class Meta:
        ordering = ["participant", "criterion__kind", "criterion__number"]
        constraints = [
            models.UniqueConstraint(fields=["participant", "criterion"], name="eligibility_unique_criterion")
        ]

    def __str__(self) -> str:
        return f"{self.criterion}: {self.get_answer_display()}"
