from django.urls import path

from fupin.checks import views

app_name = "checks"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("export.xlsx", views.export, name="export"),
    path("<slug:code>/", views.check_detail, name="detail"),
]
