from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fupin.audit"
    label = "audit"
