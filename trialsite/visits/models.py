"""Visits of participants: planned from the protocol schedule, then completed, missed or moved."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse

from trialsite.accounts.roles import PARTICIPANT_WRITERS, SITE_WRITERS
from trialsite.core.models import AuditedModel


class Visit(AuditedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        COMPLETED = "completed", "Completed"
        MISSED = "missed", "Missed"
        CANCELLED = "cancelled", "Cancelled (schedule changed)"

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="visits")
    # Denormalised from the participant so calendars and scoping need no join.
    study_site = models.ForeignKey("studies.StudySite", on_delete=models.PROTECT, related_name="visits")
    definition = models.ForeignKey(
        "protocols.VisitDefinition",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        help_text="Empty for an unscheduled visit",
    )
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=120)
    visit_type = models.CharField(max_length=20)
    sequence = models.PositiveIntegerField(default=0)
    target_on = models.DateField(null=True, blank=True)
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    planned_on = models.DateField(null=True, blank=True, db_index=True)
    planning_note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True)
    actual_on = models.DateField(null=True, blank=True)
    procedures_done = models.JSONField(
        default=dict, blank=True, help_text="Procedure code → true (done) / false (not done)"
    )
    missed_reason = models.CharField(max_length=300, blank=True)
    out_of_window = models.BooleanField(default=False)
    deviation_candidate = models.BooleanField(default=False, help_text="Flagged for review as a protocol deviation")
    coordinator = models.ForeignKey(
        "staff.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )

    scope_site = "study_site__site"
    scope_study_site = "study_site"
    scope_write_roles = PARTICIPANT_WRITERS

    class Meta:
        ordering = ["participant", "sequence", "planned_on"]
        indexes = [
            models.Index(fields=["study_site", "planned_on"]),
            models.Index(fields=["status", "planned_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("visits:visit_detail", args=[self.pk])


class CalendarFeed(AuditedModel):
    """A secret-token iCalendar feed of a site's or a coordinator's visits; revocable."""

    token = models.CharField(max_length=64, unique=True, default=secrets.token_urlsafe, editable=False)
    site = models.ForeignKey(
        "network.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    coordinator = models.ForeignKey(
        "staff.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="calendar_feeds"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    label = models.CharField(max_length=120, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    scope_site = "site"
    scope_write_roles = SITE_WRITERS | PARTICIPANT_WRITERS
    audit_redact = ("token",)

    def __str__(self) -> str:
        return self.label or f"Calendar feed {self.pk}"
