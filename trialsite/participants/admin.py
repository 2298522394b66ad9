"""Admin: read-only views of funnel records (changes go through the services, never the admin)."""

from django.contrib import admin

from trialsite.participants.models import (
    Consent,
    ConsentFormVersion,
    ContactAttempt,
    EligibilityAssessment,
    Participant,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ANN201, ARG002
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201, ARG002
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201, ARG002
        return False


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["study_label", "study_site", "stage", "referral_channel", "referred_on"]
    list_filter = ["stage", "referral_channel"]
    search_fields = ["screening_number", "subject_id"]
    exclude = list(Participant.identity_fields)


@admin.register(ConsentFormVersion)
class ConsentFormVersionAdmin(ReadOnlyAdmin):
    list_display = ["label", "language", "study_site", "irb_approved_on", "effective_on", "retired_on"]


admin.site.register(ContactAttempt, ReadOnlyAdmin)
admin.site.register(Consent, ReadOnlyAdmin)
admin.site.register(EligibilityAssessment, ReadOnlyAdmin)
