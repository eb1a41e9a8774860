from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ObservationConfig(AppConfig):
    name = "observation"
    verbose_name = _("Observation of service quality")

    def ready(self):
        from django.db.backends.signals import connection_created

        from observation.aggregates import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="observation_sqlite_functions")

        from observation import slices

        slices.register()
