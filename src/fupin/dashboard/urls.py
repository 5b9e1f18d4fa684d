from django.urls import path

from fupin.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.home, name="home"),
    path("rebuild/", views.rebuild, name="rebuild"),
    path("status/", views.build_status, name="status"),
    path("map/<str:code>.json", views.area_map, name="map"),
    path("<str:code>/", views.area, name="area"),
    path("<str:code>/export.xlsx", views.export, name="export"),
    path("<str:code>/exit/", views.exit_assessment, name="exit"),
    path("<str:code>/exit.xlsx", views.exit_export, name="exit_export"),
    path("<str:code>/report.pdf", views.monthly_report, name="report"),
]
