from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntitiesConfig(AppConfig):
    name = "fupin.entities"
    label = "entities"
    verbose_name = _("Business entities")
