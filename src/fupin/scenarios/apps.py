from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScenariosConfig(AppConfig):
    name = "fupin.scenarios"
    label = "scenarios"
    verbose_name = _("Policy scenarios")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fupin.scenarios import jobs  # noqa: F401 - registers the job kinds
