from django.urls import path

from fupin.scenarios import views

app_name = "scenarios"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("compare/", views.compare, name="compare"),
    path("<int:pk>/", views.scenario_detail, name="scenario"),
    path("<int:pk>/run/", views.run_start, name="run_start"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/export.xlsx", views.run_export, name="run_export"),
    path("publications/<int:pk>/decide/", views.decide, name="decide"),
    path("publications/<int:pk>/pack.yaml", views.publication_file, name="publication_file"),
]
