from django.urls import path

from trialsite.protocols import views

app_name = "protocols"
urlpatterns = [
    path("", views.VersionList.as_view(), name="version_list"),
    path("new/", views.VersionCreate.as_view(), name="version_create"),
    path("<int:pk>/", views.VersionDetail.as_view(), name="version_detail"),
    path("<int:pk>/edit/", views.VersionEdit.as_view(), name="version_edit"),
    path("<int:pk>/schedule/", views.schedule_edit, name="schedule_edit"),
    path("<int:pk>/amend/", views.VersionAmend.as_view(), name="version_amend"),
    path("<int:pk>/visits/new/", views.VisitCreate.as_view(), name="visit_create"),
    path("<int:pk>/procedures/new/", views.ProcedureCreate.as_view(), name="procedure_create"),
    path("<int:pk>/criteria/new/", views.CriterionCreate.as_view(), name="criterion_create"),
    path("visits/<int:pk>/edit/", views.VisitEdit.as_view(), name="visit_edit"),
    path("visits/<int:pk>/remove/", views.VisitRemove.as_view(), name="visit_remove"),
    path("procedures/<int:pk>/edit/", views.ProcedureEdit.as_view(), name="procedure_edit"),
    path("criteria/<int:pk>/edit/", views.CriterionEdit.as_view(), name="criterion_edit"),
    path("criteria/<int:pk>/remove/", views.CriterionRemove.as_view(), name="criterion_remove"),
]
