from django.urls import path

from trialsite.recruitment import views

app_name = "recruitment"
urlpatterns = [
    path("metrics/", views.funnel_metrics, name="metrics"),
    path("imports/", views.ImportList.as_view(), name="import_list"),
    path("imports/new/", views.import_upload, name="import_upload"),
    path("imports/<int:pk>/", views.import_detail, name="import_detail"),
    path("imports/<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("imports/<int:pk>/commit/", views.import_commit, name="import_commit"),
]
