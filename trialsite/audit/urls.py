from django.urls import path

from trialsite.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.AuditLogView.as_view(), name="log"),
    path("history/<str:model_label>/<int:pk>/", views.history, name="history"),
    path("history/<str:model_label>/<int:pk>/export.<str:fmt>", views.history_export, name="history_export"),
]
