from django.urls import path

from fupin.funds import views

app_name = "funds"

urlpatterns = [
    path("projects/<int:pk>/allocate/", views.allocate, name="allocate"),
    path("allocations/<int:pk>/", views.allocation, name="allocation"),
    path("allocations/<int:pk>/disburse/", views.disburse, name="disburse"),
    path("<str:code>/", views.plan, name="plan"),
    path("<str:code>/year-fund/", views.year_fund_add, name="year_fund_add"),
    path("<str:code>/progress/", views.progress, name="progress"),
    path("<str:code>/counties/", views.counties, name="counties"),
    path("<str:code>/plan.xlsx", views.plan_export, name="plan_export"),
    path("<str:code>/progress.xlsx", views.progress_export, name="progress_export"),
    path("<str:code>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("<str:code>/import/", views.plan_import, name="plan_import"),
    path("<str:code>/import/template.xlsx", views.import_template, name="import_template"),
    path("<str:code>/import/errors/<str:token>.xlsx", views.import_errors, name="import_errors"),
    path("<str:code>/panel/", views.dashboard_panel, name="dashboard_panel"),
]
