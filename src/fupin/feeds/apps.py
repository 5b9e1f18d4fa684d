from django.apps import AppConfig


class FeedsConfig(AppConfig):
    name = "fupin.feeds"
    label = "feeds"
