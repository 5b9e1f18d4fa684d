from django.urls import path

from fupin.assistance import card, views

app_name = "assistance"

urlpatterns = [
    path("households/<int:pk>/plan/", views.plan, name="plan"),
    path("households/<int:pk>/plan/summary/", views.plan_summary, name="plan_summary"),
    path("households/<int:pk>/card/", card.household_card, name="card"),
    path("households/<int:pk>/measures/new/", views.measure_add, name="measure_add"),
    path("measures/<int:pk>/edit/", views.measure_edit, name="measure_edit"),
    path("measures/<int:pk>/stop/", views.measure_stop, name="measure_stop"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/new/", views.catalogue_add, name="catalogue_add"),
    path("catalogue/<int:pk>/edit/", views.catalogue_edit, name="catalogue_edit"),
    path("catalogue/<int:pk>/switch/", views.catalogue_switch, name="catalogue_switch"),
]
