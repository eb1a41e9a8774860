"""Meetings, workshops and their questionnaires, committees, actions and their follow-up,
recommendations, the DVQ's guide."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SteeringConfig(AppConfig):
    name = "steering"
    verbose_name = _("GUP steering")

    def ready(self):
        from steering import notifications

        notifications.register()
        from django.apps import apps

        if apps.is_installed("diagnostics"):
            from steering import diagnostics_link

            diagnostics_link.register()
