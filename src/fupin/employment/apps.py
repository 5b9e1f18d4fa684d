from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EmploymentConfig(AppConfig):
    name = "fupin.employment"
    label = "employment"
    verbose_name = _("Employment")

    def ready(self) -> None:
        from fupin.employment import panels

        panels.register()
