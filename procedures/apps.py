from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("GUP procedures")

    def ready(self):
        from procedures import engine_hooks, signals

        engine_hooks.register()
        signals.connect()
        from engine.registry import register_consumer
        from procedures.sectors.notifications import consume as sector_mail

        register_consumer("procedures.sectors.mail", sector_mail)
