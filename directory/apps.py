from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Directory and territory")

    def ready(self):
        from directory import signals

        signals.connect()
        from directory.approvals.notify import consume
        from engine.registry import register_consumer

        register_consumer("directory.approvals", consume)
