from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "fupin.assistance"
    label = "assistance"
    verbose_name = "Assistance"
    default_auto_field = "django.db.models.BigAutoField"
