from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "fupin.projects"
    label = "projects"
    verbose_name = _("Project library")

    def ready(self) -> None:
        from fupin.projects import panels

        panels.register()
