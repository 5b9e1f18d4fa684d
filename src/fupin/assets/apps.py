from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(AppConfig):
    name = "fupin.assets"
    label = "assets"
    verbose_name = _("Project assets")

    def ready(self) -> None:
        from fupin.assets import panels

        panels.register()
