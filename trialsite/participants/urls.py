from django.urls import path

from trialsite.participants import views

app_name = "participants"
urlpatterns = [
    path("", views.ParticipantList.as_view(), name="participant_list"),
    path("new/", views.ParticipantCreate.as_view(), name="participant_create"),
    path("reconsent-due/", views.ReconsentDueList.as_view(), name="reconsent_due"),
    path("awaiting-contact/", views.AwaitingContactList.as_view(), name="awaiting_contact"),
    path("<int:pk>/", views.ParticipantDetail.as_view(), name="participant_detail"),
    path("<int:pk>/edit/", views.ParticipantEdit.as_view(), name="participant_edit"),
    path("<int:pk>/contact/", views.ContactStep.as_view(), name="step_contact"),
    path("<int:pk>/pre-screen/", views.PreScreenStep.as_view(), name="step_pre_screen"),
    path("<int:pk>/consent/", views.ConsentStep.as_view(), name="step_consent"),
    path("<int:pk>/eligibility/", views.EligibilityStep.as_view(), name="step_eligibility"),
    path("<int:pk>/screen-fail/", views.ScreenFailStep.as_view(), name="step_screen_fail"),
    path("<int:pk>/enroll/", views.EnrollStep.as_view(), name="step_enroll"),
    path("<int:pk>/day-1/", views.DayOneStep.as_view(), name="step_day_1"),
    path("<int:pk>/complete/", views.CompleteStep.as_view(), name="step_complete"),
    path("<int:pk>/withdraw/", views.WithdrawStep.as_view(), name="step_withdraw"),
    path("<int:pk>/lost-to-follow-up/", views.LostStep.as_view(), name="step_lost"),
    path("consent-forms/", views.ConsentFormVersionList.as_view(), name="icf_list"),
    path("consent-forms/new/", views.ConsentFormVersionCreate.as_view(), name="icf_create"),
    path("consent-forms/<int:pk>/", views.ConsentFormVersionDetail.as_view(), name="icf_detail"),
    path("consent-forms/<int:pk>/retire/", views.ConsentFormVersionRetire.as_view(), name="icf_retire"),
]
