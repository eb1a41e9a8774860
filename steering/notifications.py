"""E-mails of the steering module, sent by the outbox consumer ``steering.notifications`` after commit:
invitations, updates and cancellations (with their ``.ics``), action reminders and overdue notices,
questionnaires and their reminder. Nothing is sent for a change that was rolled back (the event was
never written)."""

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import formats, translation
from django.utils.translation import gettext as _

from directory.models import User
from steering import calendar

logger = logging.getLogger(__name__)


def _local(data):
    start = datetime.fromisoformat(data["starts_at"]).astimezone(ZoneInfo(data["time_zone"]))
    return formats.date_format(start, "DATETIME_FORMAT")


def _meeting_mail(event, users):
    data = event.payload["event"]
    kind = event.kind
    if kind == "steering.meeting_invited":
        subject = _("Invitation: %(title)s") % {"title": data["title"]}
        intro = _("You are invited to %(title)s on %(when)s.")
    elif kind == "steering.meeting_updated":
        subject = _("Changed: %(title)s") % {"title": data["title"]}
        intro = _("%(title)s was changed: it now takes place on %(when)s.")
    else:
        subject = _("Cancelled: %(title)s") % {"title": data["title"]}
        intro = _("%(title)s, planned on %(when)s, is cancelled.")
    body = intro % {"title": data["title"], "when": _local(data)}
    where = data["place"] or data["video_url"]
    if where:
        body += "\n" + _("Place: %(place)s") % {"place": where}
    body += "\n\n" + _("Answer and see the agenda at %(url)s") % {"url": data["url"]}
    method = "CANCEL" if data["cancelled"] else "REQUEST"
    messages = []
    for user in users:
        message = EmailMessage(f"[GUP] {subject}", body, to=[user.email])
        ics = calendar.invitation_ics(data, [user.email])
        message.attach("invitation.ics", ics.decode(), f"text/calendar; charset=utf-8; method={method}")
        messages.append(message)
    return messages


def _date(value):
    return formats.date_format(datetime.fromisoformat(value), "DATE_FORMAT")


def _text_mail(event, users):
    payload = event.payload
    title = payload.get("title", "")
    base = settings.SITE_BASE_URL
    if event.kind == "steering.action_reminder":
        subject = _("Action due on %(date)s: %(title)s") % {
            "date": _date(payload["due_date"]),
            "title": title,
        }
        body = _('The action "%(title)s" you are in charge of is due on %(date)s.')
        url = f"{base}/steering/actions/{payload['action']}/"
    elif event.kind == "steering.action_overdue":
        subject = _("Overdue action: %(title)s") % {"title": title}
        body = _('The action "%(title)s" you are in charge of was due on %(date)s and is not done.')
        url = f"{base}/steering/actions/{payload['action']}/"
    elif event.kind == "steering.questionnaire_sent":
        subject = _("Questionnaire to answer by %(date)s: %(title)s") % {
            "date": _date(payload["deadline"]),
            "title": title,
        }
        body = _('Please answer the questionnaire "%(title)s" for your commune by %(date)s.')
        url = f"{base}/steering/questionnaires/{payload['questionnaire']}/answer/"
    elif event.kind == "steering.questionnaire_reminder":
        subject = _("Reminder: questionnaire to answer by %(date)s: %(title)s") % {
            "date": _date(payload["deadline"]),
            "title": title,
        }
        body = _('Your commune has not yet submitted its answers to "%(title)s"; the deadline is %(date)s.')
        url = f"{base}/steering/questionnaires/{payload['questionnaire']}/answer/"
    else:
        return []
    date = _date(payload.get("due_date") or payload.get("deadline"))
    text = body % {"title": title, "date": date} + "\n\n" + url
    return [EmailMessage(f"[GUP] {subject}", text, to=[u.email]) for u in users]


def consume(event):
    if not event.kind.startswith("steering."):
        return 0
    ids = event.payload.get("users") or []
    users = list(User.objects.filter(pk__in=ids, is_active=True).exclude(email="").order_by("pk"))
    if not users:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        if event.kind in (
            "steering.meeting_invited",
            "steering.meeting_updated",
            "steering.meeting_cancelled",
        ):
            messages = _meeting_mail(event, users)
        else:
            messages = _text_mail(event, users)
    if messages:
        get_connection(fail_silently=False).send_messages(messages)
    return len(messages)


def register():
    from engine.registry import register_consumer

    register_consumer("steering.notifications", consume)
