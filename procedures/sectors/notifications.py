"""The outbox consumer of sub-sector procedures: e-mails the person each ``sector.*`` event names
(``payload["user"]``: the referent asked to approve or reminded, the author whose draft came back, the
project lead whose evaluation opened), in the platform's language. Registered from ProceduresConfig."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _

from directory.models import User

SUBJECTS = {
    "sector.approval_requested": lambda: _("A sub-sector procedure waits for your approval"),
    "sector.approval_reminder": lambda: _("Reminder: a sub-sector procedure waits for your approval"),
    "sector.changes_requested": lambda: _("Changes are requested on your sub-sector procedure"),
    "sector.version_activated": lambda: _("Your sub-sector procedure is approved and active"),
    "sector.evaluation_opened": lambda: _("The yearly evaluation of a sub-sector procedure is open"),
}


def consume(event):
    subject = SUBJECTS.get(event.kind)
    user_id = (event.payload or {}).get("user")
    if subject is None or not user_id:
        return
    user = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if user is None:
        return
    base = getattr(settings, "SITE_BASE_URL", "").rstrip("/")
    with translation.override(settings.LANGUAGE_CODE):
        body = _("Procedure %(code)s, version %(number)s: %(url)s") % {
            "code": event.payload.get("procedure", ""),
            "number": event.payload.get("version", ""),
            "url": f"{base}/sector-procedures/inbox/",
        }
        EmailMessage(subject(), body, to=[user.email]).send()
