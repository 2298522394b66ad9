from django.urls import path

from trialsite.network import views

app_name = "network"
urlpatterns = [
    path("sites/", views.SiteList.as_view(), name="site_list"),
    path("sites/new/", views.SiteCreate.as_view(), name="site_create"),
    path("sites/<int:pk>/", views.SiteDetail.as_view(), name="site_detail"),
    path("sites/<int:pk>/edit/", views.SiteEdit.as_view(), name="site_edit"),
    path("closures/new/", views.ClosureCreate.as_view(), name="closure_create"),
    path("organizations/", views.OrganizationList.as_view(), name="organization_list"),
    path("organizations/new/", views.OrganizationCreate.as_view(), name="organization_create"),
    path("organizations/<int:pk>/", views.OrganizationDetail.as_view(), name="organization_detail"),
    path("organizations/<int:pk>/edit/", views.OrganizationEdit.as_view(), name="organization_edit"),
]
