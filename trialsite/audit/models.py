"""The audit trail: one append-only entry per write to a regulated record (standards A1-A3)."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003, ANN201
        raise PermissionError("Audit entries cannot be changed.")

    def delete(self):  # noqa: ANN201
        raise PermissionError("Audit entries cannot be deleted.")

    def bulk_update(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise PermissionError("Audit entries cannot be changed.")


class AuditEntry(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Updated"
        DELETE = "delete", "Deleted"

    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    actor_label = models.CharField(max_length=150, editable=False)
    action = models.CharField(max_length=16, choices=Action.choices, editable=False)
    event = models.CharField(
        max_length=80, blank=True, editable=False, help_text="Named workflow step, e.g. studysite.transition"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", editable=False)
    object_id = models.CharField(max_length=64, editable=False)
    object_repr = models.CharField(max_length=200, editable=False)
    changes = models.JSONField(default=dict, encoder=DjangoJSONEncoder, editable=False)
    reason = models.TextField(blank=True, editable=False)
    request_id = models.CharField(max_length=64, blank=True, editable=False, db_index=True)
    # Denormalised scope, so the audit log itself can be scoped without joining every model.
    site_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)
    study_site_id = models.BigIntegerField(null=True, blank=True, db_index=True, editable=False)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id", "at"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        if self.pk is not None and not self._state.adding:
            raise PermissionError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise PermissionError("Audit entries cannot be deleted.")
