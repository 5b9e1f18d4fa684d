from django.urls import path

from fupin.benefits import views

app_name = "benefits"

urlpatterns = [
    path("", views.opening_list, name="openings"),
    path("open/", views.opening_create, name="open"),
    path("openings/<int:pk>/", views.opening_detail, name="opening"),
    path("openings/<int:pk>/new/", views.application_create, name="application_create"),
    path("openings/<int:pk>/approve/", views.approve_batch, name="approve"),
    path("openings/<int:pk>/close/", views.opening_close, name="close"),
    path("openings/<int:pk>/import/", views.application_import, name="application_import"),
    path("openings/<int:pk>/import/template/", views.import_template, name="import_template"),
    path("openings/<int:pk>/import/errors/<str:token>/", views.import_errors, name="import_errors"),
    path("openings/<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/decide/", views.application_decide, name="decide"),
    path("applications/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("applications/<int:pk>/bank-account/", views.bank_account_reveal, name="bank_account_reveal"),
    path("evidence/<int:pk>/", views.evidence_file, name="evidence"),
]
