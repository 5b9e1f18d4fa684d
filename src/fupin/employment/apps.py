from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmploymentConfig(AppConfig):
    name = "fupin.employment"
    label = "employment"
    verbose_name = _("Employment")

    def ready(self) -> None:
        from fupin.employment import panels, returned
        from fupin.jobs import services as jobs

        panels.register()
        # Rows of the human-resources returned-migrant lists become the village's follow-up tasks.
        jobs.every_sweep(returned.from_feeds)
