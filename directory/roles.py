"""The roles a user can hold in the organisation they act for.

These are directory roles (what a person does in their organisation). Procedure roles (requester,
dispatcher, handler...) are given to cases by the procedures, and resolved to people through the
principal keys of `directory.access`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REFERENT = "referent", _("GUP referent")
    REQUESTER = "requester", _("Requester")
    AGENT = "agent", _("Agent")
    SUPERVISOR = "supervisor", _("Supervisor")
    DVQ_OFFICER = "dvq_officer", _("DVQ officer")
    ADMINISTRATOR = "administrator", _("Administrator")
