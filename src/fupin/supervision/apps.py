from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "fupin.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from fupin.cases import notify
        from fupin.jobs import services as jobs
        from fupin.supervision import scheduling

        # scheduling reports not in by the day before their deadline: reminded by the worker's sweep
        jobs.every_sweep(scheduling.send_due_reminders)

        notify.register_message(
            "situation_reported",
            _("Important situation in %(area)s: %(title)s (%(kind)s). Acknowledge it and follow it up."),
        )
        notify.register_message(
            "situation_updated", _("The important situation “%(title)s” in %(area)s was followed up.")
        )
        notify.register_message(
            "report_issued", _("Scheduling report “%(title)s” for %(area)s: fill it in by %(deadline)s.")
        )
        notify.register_message(
            "report_returned", _("Scheduling report “%(title)s” of %(area)s was returned: %(reason)s")
        )
        notify.register_message(
            "report_due", _("Reminder: the scheduling report “%(title)s” of %(area)s is due %(deadline)s.")
        )
        notify.register_message(
            "report_overdue",
            _("Overdue: the scheduling report “%(title)s” of %(area)s was due %(deadline)s. Submit it now."),
        )
