from django.contrib import admin

from trialsite.studies.models import Study, StudySite

admin.site.register(
    Study,
    search_fields=["protocol_number", "short_name"],
    list_display=["protocol_number", "short_name", "phase", "status"],
)
admin.site.register(StudySite, list_display=["study", "site", "status"], list_filter=["status"])
