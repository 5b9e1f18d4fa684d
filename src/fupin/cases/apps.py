from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fupin.cases"
    label = "cases"
    verbose_name = "Monitoring cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fupin.cases import receivers  # noqa: F401  (connects to screening's clue signal)
