from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenefitsConfig(AppConfig):
    name = "fupin.benefits"
    label = "benefits"
    verbose_name = _("Benefits")

    def ready(self) -> None:
        from fupin.benefits import panels

        panels.register()
