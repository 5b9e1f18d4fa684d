from django.apps import AppConfig


class TwinningConfig(AppConfig):
    name = "fupin.twinning"
    label = "twinning"
    verbose_name = "Twinning"
    default_auto_field = "django.db.models.BigAutoField"
