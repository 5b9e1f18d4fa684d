from django.urls import path

from fupin.cases import pdf, views

app_name = "cases"

urlpatterns = [
    path("", views.tasks, name="tasks"),
    path("export.csv", views.tasks_export, {"fmt": "csv"}, name="tasks_export"),
    path("export.xlsx", views.tasks_export, {"fmt": "xlsx"}, name="tasks_export_xlsx"),
    path("all/", views.search, name="search"),
    path("all/export.csv", views.search_export, {"fmt": "csv"}, name="search_export"),
    path("all/export.xlsx", views.search_export, {"fmt": "xlsx"}, name="search_export_xlsx"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/act/<str:action>/", views.act, name="act"),
    path("notices/new/", views.notice_new, name="notice_new"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/pdf/", pdf.notice_pdf, name="notice_pdf"),
    path("raise/<int:household_pk>/", views.raise_clue, name="raise"),
    path("eliminate/<int:household_pk>/", views.propose_elimination, name="eliminate"),
    path("declarations/<int:pk>/", views.declaration_detail, name="declaration"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
]
