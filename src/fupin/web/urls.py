from django.urls import path

from fupin.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("households/", views.household_list, name="households"),
    path("households/export.csv", views.household_export, {"fmt": "csv"}, name="households_export"),
    path("households/export.xlsx", views.household_export, {"fmt": "xlsx"}, name="households_export_xlsx"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<int:pk>/type/", views.household_type_change, name="household_type"),
    path("households/<int:pk>/monitoring/", views.household_monitoring_change, name="household_monitoring"),
    path("households/<int:pk>/members/new/", views.member_add, name="member_add"),
    path("households/<int:pk>/incomes/new/", views.income_add, name="income_add"),
    path("households/<int:pk>/incomes/<int:year>/", views.income_edit, name="income_edit"),
    path("members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("reveal/<str:kind>/<int:pk>/<str:field>/", views.reveal, name="reveal"),
]
