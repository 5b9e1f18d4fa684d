from django.urls import path

from fupin.twinning import views

app_name = "twinning"

urlpatterns = [
    path("", views.helpers, name="helpers"),
    path("helpers/export.csv", views.helpers_export, {"fmt": "csv"}, name="helpers_export"),
    path("helpers/export.xlsx", views.helpers_export, {"fmt": "xlsx"}, name="helpers_export_xlsx"),
    path("helpers/new/", views.helper_new, name="helper_new"),
    path("helpers/<int:pk>/", views.helper_detail, name="helper"),
    path("helpers/<int:pk>/edit/", views.helper_edit, name="helper_edit"),
    path("helpers/<int:pk>/reveal/", views.helper_reveal, name="helper_reveal"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/assign/", views.assign, name="assign"),
    path("households/<int:pk>/visits/new/", views.visit_add, name="visit_add"),
    path("twinnings/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("visits/<int:pk>/", views.visit_detail, name="visit"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/export.xlsx", views.coverage_export, name="coverage_export"),
    path("villages/", views.villages, name="villages"),
    path("villages/<str:code>/", views.village, name="village"),
    path("villages/<str:code>/units/new/", views.unit_add, name="unit_add"),
    path("villages/<str:code>/members/new/", views.member_add, name="member_add"),
    path("units/<int:pk>/", views.unit_edit, name="unit_edit"),
    path("members/<int:pk>/", views.member_edit, name="member_edit"),
    path("settings/", views.county_settings, name="settings"),
]
