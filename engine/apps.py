from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EngineConfig(AppConfig):
    name = "engine"
    verbose_name = _("Procedure engine")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from engine import core, signals  # noqa: F401 (registers the core guards and actions)
