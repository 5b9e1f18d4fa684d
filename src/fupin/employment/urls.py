from django.urls import path

from fupin.employment import views

app_name = "employment"

urlpatterns = [
    path("", views.home, name="home"),
    path("members/<int:pk>/", views.member, name="member"),
    path("areas/<str:code>/", views.area, name="area"),
    path("areas/<str:code>/targets/", views.targets, name="targets"),
]
