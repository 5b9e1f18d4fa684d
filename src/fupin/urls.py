from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("fupin.api.urls")),
    path("screening/", include("fupin.screening.urls")),
    path("cases/", include("fupin.cases.urls")),
    path("declare/", include("fupin.cases.public_urls")),
    path("assistance/", include("fupin.assistance.urls")),
    path("twinning/", include("fupin.twinning.urls")),
    path("checks/", include("fupin.checks.urls")),
    path("linkage/", include("fupin.linkage.urls")),
    path("exchange/", include("fupin.exchange.urls")),
    path("dashboard/", include("fupin.dashboard.urls")),
    path("", include("fupin.web.urls")),
]
