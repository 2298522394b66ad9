"""REST API v1: each domain app registers its viewsets in its own `api.register(router)`."""

from importlib import import_module

from django.urls import include, path
from rest_framework.routers import DefaultRouter

API_APPS = ["accounts", "network", "studies", "staff", "protocols", "participants", "visits", "recruitment", "audit"]

router = DefaultRouter()
for app in API_APPS:
    import_module(f"trialsite.{app}.api").register(router)

urlpatterns = [path("", include(router.urls))]
