"""People of the network (with or without a login) and their assignments to studies at sites."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from trialsite.accounts.roles import SITE_WRITERS
from trialsite.core.models import AuditedModel


class JobRole(models.TextChoices):
    PI = "pi", "Principal investigator"
    SUB_I = "sub_investigator", "Sub-investigator"
    COORDINATOR = "coordinator", "Clinical research coordinator"
    RECRUITER = "recruiter", "Recruiter"
    REGULATORY = "regulatory", "Regulatory coordinator"
    FINANCE = "finance", "Finance"
    QA = "qa", "Quality assurance"
    SITE_MANAGER = "site_manager", "Site manager"
    PHARMACIST = "pharmacist", "Pharmacist"
    NURSE = "nurse", "Research nurse"


class Person(AuditedModel):
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    job_role = models.CharField(max_length=30, choices=JobRole.choices)
    credentials = models.CharField(max_length=60, blank=True, help_text="e.g. MD, RN, CCRC")
    home_site = models.ForeignKey("network.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    user = models.OneToOneField("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="person")
    is_active = models.BooleanField(default=True)

    scope_site = "home_site"
    scope_write_roles = SITE_WRITERS

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"

    def __str__(self) -> str:
        suffix = f", {self.credentials}" if self.credentials else ""
        return f"{self.first_name} {self.last_name}{suffix}"

    def get_absolute_url(self) -> str:
        return reverse("staff:person_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, grants, action="view"):  # noqa: ANN001, ANN206
        """Staff of a site, plus anyone assigned to a study at a site in scope."""
        q = super().scope_q(grants, action)
        roles = cls.scope_write_roles if action == "change" else cls.scope_view_roles
        scope = grants.scope(roles)
        if scope.network or action == "change":
            return q
        assigned = Assignment.objects.filter(
            models.Q(study_site__site_id__in=scope.sites) | models.Q(study_site_id__in=scope.study_sites)
        ).values("person_id")
        return q | models.Q(pk__in=assigned)


class Assignment(AuditedModel):
    """A person working on a study at a site, in a study role, for a period."""

    class StudyRole(models.TextChoices):
        PI = "pi", "Principal investigator"
        SUB_I = "sub_investigator", "Sub-investigator"
        PRIMARY_CRC = "primary_crc", "Primary coordinator"
        BACKUP_CRC = "backup_crc", "Back-up coordinator"
        RECRUITER = "recruiter", "Recruiter"
        REGULATORY = "regulatory", "Regulatory coordinator"
        PHARMACIST = "pharmacist", "Pharmacist"
        NURSE = "nurse", "Research nurse"
        DATA_ENTRY = "data_entry", "Data coordinator"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments")
    study_site = models.ForeignKey("studies.StudySite", on_delete=models.PROTECT, related_name="assignments")
    study_role = models.CharField(max_length=30, choices=StudyRole.choices)
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    effort_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Planned share of a full-time week"
    )

    scope_site = "study_site__site"
    scope_study_site = "study_site"
    scope_write_roles = SITE_WRITERS

    class Meta:
        ordering = ["study_site", "study_role", "person__last_name"]

    def __str__(self) -> str:
        return f"{self.person} — {self.get_study_role_display()} on {self.study_site}"

    def get_absolute_url(self) -> str:
        return reverse("staff:assignment_detail", args=[self.pk])

    @property
    def is_current(self) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The assignment cannot end before it starts."})
        if self.effort_percent is not None and self.effort_percent > 100:
            raise ValidationError({"effort_percent": "Effort is a share of a week: at most 100."})
