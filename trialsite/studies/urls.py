from django.urls import path

from trialsite.studies import views

app_name = "studies"
urlpatterns = [
    path("", views.StudyList.as_view(), name="study_list"),
    path("new/", views.StudyCreate.as_view(), name="study_create"),
    path("<int:pk>/", views.StudyDetail.as_view(), name="study_detail"),
    path("<int:pk>/edit/", views.StudyEdit.as_view(), name="study_edit"),
    path("at-sites/", views.StudySiteList.as_view(), name="studysite_list"),
    path("at-sites/new/", views.StudySiteCreate.as_view(), name="studysite_create"),
    path("at-sites/<int:pk>/", views.StudySiteDetail.as_view(), name="studysite_detail"),
    path("at-sites/<int:pk>/edit/", views.StudySiteEdit.as_view(), name="studysite_edit"),
    path("at-sites/<int:pk>/status/", views.studysite_transition, name="studysite_transition"),
]
