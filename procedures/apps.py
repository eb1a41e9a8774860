from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("GUP procedures")

    def ready(self):
        from procedures import engine_hooks

        engine_hooks.register()
