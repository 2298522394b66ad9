from django.urls import path

from trialsite.visits import views

app_name = "visits"
urlpatterns = [
    path("", views.VisitList.as_view(), name="visit_list"),
    path("today/", views.MyVisitsToday.as_view(), name="my_today"),
    path("overdue/", views.OverdueList.as_view(), name="overdue"),
    path("missed/", views.MissedList.as_view(), name="missed"),
    path("<int:pk>/", views.VisitDetail.as_view(), name="visit_detail"),
    path("<int:pk>/complete/", views.visit_complete, name="visit_complete"),
    path("<int:pk>/miss/", views.visit_miss, name="visit_miss"),
    path("<int:pk>/reschedule/", views.visit_reschedule, name="visit_reschedule"),
    path("unscheduled/new/", views.unscheduled_create, name="unscheduled_create"),
    path("calendar/", views.calendar_index, name="calendar"),
    path("calendar/<int:site_pk>/week/", views.calendar_week, name="calendar_week"),
    path("calendar/<int:site_pk>/day/", views.calendar_day, name="calendar_day"),
    path("amendments/", views.amendment_list, name="amendment_list"),
    path("amendments/<int:ss_pk>/<int:version_pk>/", views.amendment, name="amendment"),
    path("feeds/", views.feed_list, name="feed_list"),
    path("feeds/<int:pk>/revoke/", views.feed_revoke, name="feed_revoke"),
    path("feeds/<str:token>.ics", views.feed_ics, name="feed_ics"),
]
