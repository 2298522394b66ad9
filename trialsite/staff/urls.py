from django.urls import path

from trialsite.staff import views

app_name = "staff"
urlpatterns = [
    path("people/", views.PersonList.as_view(), name="person_list"),
    path("people/new/", views.PersonCreate.as_view(), name="person_create"),
    path("people/<int:pk>/", views.PersonDetail.as_view(), name="person_detail"),
    path("people/<int:pk>/edit/", views.PersonEdit.as_view(), name="person_edit"),
    path("assignments/", views.AssignmentList.as_view(), name="assignment_list"),
    path("assignments/new/", views.AssignmentCreate.as_view(), name="assignment_create"),
    path("assignments/<int:pk>/", views.AssignmentDetail.as_view(), name="assignment_detail"),
    path("assignments/<int:pk>/edit/", views.AssignmentEdit.as_view(), name="assignment_edit"),
]
