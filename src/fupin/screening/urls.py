from django.urls import path

from fupin.screening import views

app_name = "screening"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("start/", views.start, name="start"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("clues/", views.clue_list, name="clues"),
    path("clues/export.csv", views.clue_export, {"fmt": "csv"}, name="clues_export"),
    path("clues/export.xlsx", views.clue_export, {"fmt": "xlsx"}, name="clues_export_xlsx"),
    path("households/<int:pk>/rules/", views.household_rules, name="household_rules"),
]
