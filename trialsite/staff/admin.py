from django.contrib import admin

from trialsite.staff.models import Assignment, Person

admin.site.register(
    Person, search_fields=["first_name", "last_name"], list_display=["last_name", "first_name", "job_role", "home_site"]
)
admin.site.register(Assignment, list_display=["person", "study_site", "study_role", "starts_on", "ends_on"])
