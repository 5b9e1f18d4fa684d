from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChecksConfig(AppConfig):
    name = "fupin.checks"
    label = "checks"
    verbose_name = _("Data checks")
    default_auto_field = "django.db.models.BigAutoField"
