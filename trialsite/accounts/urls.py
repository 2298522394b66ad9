from django.urls import path

from trialsite.accounts import views

app_name = "accounts"
urlpatterns = [
    path("users/", views.UserList.as_view(), name="user_list"),
    path("users/new/", views.UserCreate.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserDetail.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", views.UserEdit.as_view(), name="user_edit"),
    path("roles/new/", views.RoleAssignmentCreate.as_view(), name="role_create"),
]
