from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Access and accounts")

    def ready(self):
        from accounts import signals
        from accounts.notifications import consume
        from engine.registry import register_consumer

        signals.connect()
        register_consumer("accounts.notifications", consume)
