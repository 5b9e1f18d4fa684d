from django.urls import path

from fupin.exchange import views

app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("templates/<str:kind>.xlsx", views.template, name="template"),
    path("start/", views.start, name="start"),
    path("jobs/<int:pk>/", views.job_detail, name="job"),
    path("jobs/<int:pk>/errors.xlsx", views.job_errors, name="job_errors"),
]
