from django.urls import path

from trialsite.accounts import views

app_name = "accounts"
urlpatterns = [
    path("users/", views.UserList.as_view(), name="user_list"),
    path("users/new/", views.UserCreate.as_view(), name="user_create"),
    path("users/<int:pk>/", views.UserDetail.as_view(), name="user_detail"),
    path("users/<int:pk>/edit/", views.UserEdit.as_view(), name="user_edit"),
    path("users/<int:pk>/password/", views.user_password, name="user_password"),
    path("roles/new/", views.RoleAssignmentCreate.as_view(), name="role_create"),
    path("roles/<int:pk>/", views.role_edit, name="role_edit"),
    path("token/", views.my_token, name="my_token"),
]
