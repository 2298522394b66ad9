from django.contrib import admin

from trialsite.network.models import Organization, Site, SiteClosure

admin.site.register(Site, search_fields=["code", "name"], list_display=["code", "name", "country", "status"])
admin.site.register(SiteClosure, list_display=["site", "starts_on", "ends_on", "reason"])
admin.site.register(Organization, search_fields=["name"], list_display=["name", "kind", "is_active"])
