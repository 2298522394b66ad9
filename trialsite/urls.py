from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from trialsite.accounts import views as account_views
from trialsite.core.api import ApiDocsView, ApiRedocView

urlpatterns = [
    path("", account_views.home, name="home"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/", include("trialsite.accounts.urls")),
    path("network/", include("trialsite.network.urls")),
    path("studies/", include("trialsite.studies.urls")),
    path("staff/", include("trialsite.staff.urls")),
    path("protocols/", include("trialsite.protocols.urls")),
    path("participants/", include("trialsite.participants.urls")),
    path("visits/", include("trialsite.visits.urls")),
    path("recruitment/", include("trialsite.recruitment.urls")),
    path("audit/", include("trialsite.audit.urls")),
    path("api/v1/", include("trialsite.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="schema"), name="api_docs"),
    path("api/redoc/", ApiRedocView.as_view(url_name="schema"), name="api_redoc"),
    path("admin/", admin.site.urls),
]
