from django.urls import path

from fupin.projects import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, name="export"),
    path("new/", views.project_new, name="new"),
    path("<int:pk>/", views.project, name="project"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/step/", views.step, name="step"),
    path("<int:pk>/notice/<str:kind>.pdf", views.notice_pdf, name="notice_pdf"),
    path("library/<str:code>/", views.library, name="library"),
    path("library/<str:code>/notice.pdf", views.library_pdf, name="library_pdf"),
]
