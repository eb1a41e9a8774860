from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TfpbConfig(AppConfig):
    name = "tfpb"
    verbose_name = _("TFPB abatement")
