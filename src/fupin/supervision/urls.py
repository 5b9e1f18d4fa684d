from django.urls import path

from fupin.supervision import views

app_name = "supervision"

urlpatterns = [
    path("", views.problem_list, name="problems"),
    path("new/", views.problem_new, name="problem_new"),
    path("from-check/", views.from_check, name="from_check"),
    path("ledger/<str:code>/", views.ledger, name="ledger"),
    path("ledger/<str:code>/export.xlsx", views.ledger_export, name="ledger_export"),
    path("ledger/<str:code>/recheck/", views.ledger_recheck, name="ledger_recheck"),
    path("problems/<int:pk>/", views.problem, name="problem"),
    path("problems/<int:pk>/task/", views.task_add, name="task_add"),
    path("problems/<int:pk>/rectify/", views.rectify, name="rectify"),
    path("problems/<int:pk>/accept/", views.accept, name="accept"),
    path("problems/<int:pk>/return/", views.reject, name="reject"),
    path("problems/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("evidence/<int:pk>/", views.evidence, name="evidence"),
    path("inspections/", views.inspections, name="inspections"),
    path("inspections/new/", views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", views.inspection, name="inspection"),
    path("inspections/<int:pk>/visits.xlsx", views.inspection_export, name="inspection_export"),
    path("inspections/<int:pk>/visit/<int:household>/", views.inspection_visit, name="inspection_visit"),
    path("situations/", views.situations, name="situations"),
    path("situations/new/", views.situation_new, name="situation_new"),
    path("situations/<int:pk>/", views.situation, name="situation"),
    path("situations/<int:pk>/acknowledge/", views.situation_acknowledge, name="situation_acknowledge"),
    path("situations/<int:pk>/follow-up/", views.situation_follow_up, name="situation_follow_up"),
    path("reports/", views.reports, name="reports"),
    path("reports/new/", views.round_new, name="round_new"),
    path("reports/<int:pk>/", views.report_round, name="round"),
    path("reports/<int:pk>/remind/", views.round_remind, name="round_remind"),
    path("reports/filled/<int:pk>/", views.submission, name="submission"),
    path("reports/filled/<int:pk>/decide/", views.submission_decide, name="submission_decide"),
    path("scorecards/<str:code>/", views.scorecard, name="scorecard"),
    path("scorecards/<str:code>/export.xlsx", views.scorecard_export, name="scorecard_export"),
    path("panel/<str:code>/", views.dashboard_panel, name="dashboard_panel"),
]
