from django.urls import path

from fupin.payments import views

app_name = "payments"

urlpatterns = [
    path("", views.index, name="index"),
    path("totals/", views.totals, name="totals"),
    path("openings/<int:pk>/", views.opening, name="opening"),
    path("envelopes/<int:pk>/", views.envelope, name="envelope"),
    path("envelopes/<int:pk>/totals/", views.envelope_totals, name="envelope_totals"),
    path("envelopes/<int:pk>/batch/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("batches/<int:pk>/bank-file.csv", views.bank_file, {"fmt": "csv"}, name="bank_file_csv"),
    path("batches/<int:pk>/bank-file.xlsx", views.bank_file, {"fmt": "xlsx"}, name="bank_file_xlsx"),
    path("batches/<int:pk>/return/", views.return_upload, name="return_upload"),
    path("batches/<int:pk>/cancel/", views.batch_cancel, name="batch_cancel"),
    path("payments/<int:pk>/reverse/", views.payment_reverse, name="reverse"),
]
