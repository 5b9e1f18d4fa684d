from django.urls import path

from fupin.screening import views

app_name = "screening"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("start/", views.start, name="start"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("clues/", views.clue_list, name="clues"),
    path("households/<int:pk>/rules/", views.household_rules, name="household_rules"),
]
