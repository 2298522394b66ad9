"""The network: its sites (with what they can do and when they are open) and the organizations it deals with."""

from __future__ import annotations

import importlib
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.deconstruct import deconstructible

from trialsite.accounts.roles import INTERNAL_ROLES, NETWORK_WRITERS, SITE_WRITERS
from trialsite.core.models import AuditedModel
from trialsite.network.vocab import Capability, TherapeuticArea, Weekday


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"'{value}' is not a known IANA time zone (e.g. Europe/Berlin).")


@deconstructible
class ChoiceListValidator:
    """A JSON list whose items all come from a controlled vocabulary."""

    def __init__(self, choices_path: str) -> None:
        self.choices_path = choices_path

    def __call__(self, value: object) -> None:
        module, _, name = self.choices_path.rpartition(".")
        allowed = set(getattr(importlib.import_module(module), name).values)
        if not isinstance(value, list):
            raise ValidationError("Expected a list.")
        unknown = [v for v in value if v not in allowed]
        if unknown:
            raise ValidationError(f"Unknown value(s): {', '.join(map(str, unknown))}.")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ChoiceListValidator) and other.choices_path == self.choices_path


class Site(AuditedModel):
    class Status(models.TextChoices):
        PROSPECTIVE = "prospective", "Prospective"
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        INACTIVE = "inactive", "Inactive"

    code = models.CharField(max_length=20, unique=True, help_text="Short network code, e.g. BER-01")
    name = models.CharField(max_length=200)
    legal_entity = models.CharField(max_length=200, blank=True)
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20, blank=True)
    region = models.CharField(max_length=100, blank=True, help_text="State or province")
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. US, DE")
    time_zone = models.CharField(max_length=64, validators=[validate_time_zone], default="UTC")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    capabilities = models.JSONField(
        default=list, blank=True, validators=[ChoiceListValidator("trialsite.network.vocab.Capability")]
    )
    therapeutic_areas = models.JSONField(
        default=list, blank=True, validators=[ChoiceListValidator("trialsite.network.vocab.TherapeuticArea")]
    )
    clinic_days = models.JSONField(
        default=list,
        blank=True,
        validators=[ChoiceListValidator("trialsite.network.vocab.Weekday")],
        help_text="Weekdays the clinic sees participants (0=Monday)",
    )
    daily_visit_capacity = models.PositiveIntegerField(
        null=True, blank=True, help_text="Participant visits per clinic day; empty for no limit"
    )
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)

    scope_site = "pk"
    scope_write_roles = SITE_WRITERS

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("network:site_detail", args=[self.pk])

    @classmethod
    def can_create(cls, grants) -> bool:  # noqa: ANN001
        """New sites are registered by network operations, not by a site."""
        return grants.scope(NETWORK_WRITERS).network

    def clean(self) -> None:
        self.country = (self.country or "").upper()
        if len(self.country) != 2 or not self.country.isalpha():
            raise ValidationError({"country": "Use the two-letter ISO country code, e.g. US or DE."})

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def get_capabilities_display(self) -> list[str]:
        labels = dict(Capability.choices)
        return [labels.get(c, c) for c in self.capabilities]

    def get_therapeutic_areas_display(self) -> list[str]:
        labels = dict(TherapeuticArea.choices)
        return [labels.get(c, c) for c in self.therapeutic_areas]

    def get_clinic_days_display(self) -> list[str]:
        labels = dict(Weekday.choices)
        return [labels.get(c, str(c)) for c in sorted(self.clinic_days)]


class SiteClosure(AuditedModel):
    """Days a site sees no participants (holidays of its own, renovations, staff events)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)

    scope_site = "site"
    scope_write_roles = SITE_WRITERS

    class Meta:
        ordering = ["starts_on"]

    def __str__(self) -> str:
        return f"{self.site.code} closed {self.starts_on}–{self.ends_on}: {self.reason}"

    def get_absolute_url(self) -> str:
        return reverse("network:site_detail", args=[self.site_id])

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "The closure cannot end before it starts."})


class Organization(AuditedModel):
    """Sponsors, CROs and IRBs/ethics committees the network deals with."""

    class Kind(models.TextChoices):
        SPONSOR = "sponsor", "Sponsor"
        CRO = "cro", "CRO"
        IRB = "irb", "IRB / ethics committee"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, blank=True)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    is_active = models.BooleanField(default=True)

    scope_write_roles = NETWORK_WRITERS

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["kind", "name"], name="organization_unique_kind_name")]

    def __str__(self) -> str:
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("network:organization_detail", args=[self.pk])

    @classmethod
    def scope_q(cls, grants, action="view"):  # noqa: ANN001, ANN206
        """Reference data for the network's own staff; a monitor sees only their studies' organizations."""
        roles = cls.scope_write_roles if action == "change" else INTERNAL_ROLES
        if not grants.scope(roles).empty:
            return models.Q() if action == "view" or grants.scope(roles).network else models.Q(pk__in=[])
        if action == "change":
            return models.Q(pk__in=[])
        from trialsite.studies.models import Study

        studies = Study.objects.filter(Study.scope_q(grants, "view"))
        return (
            models.Q(pk__in=studies.values("sponsor_id"))
            | models.Q(pk__in=studies.values("cro_id"))
            | models.Q(pk__in=studies.values("study_sites__irb_id"))
        )
