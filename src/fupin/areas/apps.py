from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "fupin.areas"
    label = "areas"
