from django.urls import path

from fupin.assets import views

app_name = "assets"

urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.asset_new, name="asset_new"),
    path("import/", views.import_assets, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("ledger/<str:code>/", views.ledger, name="ledger"),
    path("ledger/<str:code>/export.xlsx", views.ledger_export, name="ledger_export"),
    path("panel/<str:code>/", views.dashboard_panel, name="dashboard_panel"),
    path("<int:pk>/", views.asset, name="asset"),
    path("<int:pk>/edit/", views.asset_edit, name="asset_edit"),
    path("<int:pk>/status/", views.status, name="status"),
    path("<int:pk>/handover/", views.handover, name="handover"),
    path("<int:pk>/income/", views.income, name="income"),
    path("<int:pk>/distribute/", views.distribute, name="distribute"),
    path("<int:pk>/disposal/", views.disposal_request, name="disposal_request"),
    path("disposals/<int:pk>/decide/", views.disposal_decide, name="disposal_decide"),
    path("disposals/<int:pk>/complete/", views.disposal_complete, name="disposal_complete"),
]
