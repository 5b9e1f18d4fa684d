from django.urls import path

from fupin.employment import views, work_views

app_name = "employment"

urlpatterns = [
    path("", views.home, name="home"),
    path("members/<int:pk>/", views.member, name="member"),
    path("areas/<str:code>/", views.area, name="area"),
    path("areas/<str:code>/targets/", views.targets, name="targets"),
    path("areas/<str:code>/posts/", work_views.post_list, name="posts"),
    path("posts/<int:pk>/", work_views.post_detail, name="post"),
    path("areas/<str:code>/workshops/", work_views.workshop_list, name="workshops"),
    path("workshops/<int:pk>/", work_views.workshop_detail, name="workshop"),
    path("areas/<str:code>/returned/", work_views.returned_list, name="returned"),
    path("returned/<int:pk>/", work_views.returned_task, name="returned_task"),
    path("areas/<str:code>/courses/", work_views.course_list, name="courses"),
    path("courses/<int:pk>/", work_views.course_detail, name="course"),
    path("areas/<str:code>/grants/", work_views.grant_list, name="grants"),
]
