from django.http import HttpRequest, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path


def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for /favicon.ico whatever the page says: send them to the icon."""
    return HttpResponseRedirect(static("fupin/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("fupin.api.urls")),
    path("screening/", include("fupin.screening.urls")),
    path("cases/", include("fupin.cases.urls")),
    path("declare/", include("fupin.cases.public_urls")),
    path("assistance/", include("fupin.assistance.urls")),
    path("twinning/", include("fupin.twinning.urls")),
    path("benefits/", include("fupin.benefits.urls")),
    path("payments/", include("fupin.payments.urls")),
    path("employment/", include("fupin.employment.urls")),
    path("supervision/", include("fupin.supervision.urls")),
    path("projects/", include("fupin.projects.urls")),
    path("scenarios/", include("fupin.scenarios.urls")),
    path("funds/", include("fupin.funds.urls")),
    path("assets/", include("fupin.assets.urls")),
    path("checks/", include("fupin.checks.urls")),
    path("linkage/", include("fupin.linkage.urls")),
    path("exchange/", include("fupin.exchange.urls")),
    path("dashboard/", include("fupin.dashboard.urls")),
    path("", include("fupin.web.urls")),
]
