"""The texts of the messages to the commune, in one place.

They are written for a commune's GUP referent: who handles the request and why, in plain words, with
names (units, organisations, categories), never codes or the routing rule's technical wording (that one
stays in ``InterventionRequest.routing_explanation``, for staff). The actions call these functions inside
``commune_language()``: the texts are in the language of the commune's users, whoever acted.

Each function returns the body (text); the actions write it with ``_message`` and pick the kind.
"""

from datetime import timedelta

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from procedures import conf
from procedures.actions._common import _contact_of, _due, _name_of, _when


def plain_routing(request, routing=None):
    """Why this handler, for the commune (from the routing decision when given, else from the request)."""
    from directory.routing import plain_explanation
    from procedures.sectors.filing import plain_text

    sector_text = plain_text(routing)
    if sector_text:
        return sector_text
    decision = getattr(routing, "decision", None)
    if decision is not None:
        return plain_explanation(decision, request.category.localized_name)
    return _("It is handled by %(handler)s.") % {"handler": _name_of(request)}


def filed(request, routing=None):
    return (
        _("Your request %(ref)s was filed.") % {"ref": request.reference}
        + " "
        + plain_routing(request, routing)
    )


def acknowledged(request):
    body = _("Your request %(ref)s has been acknowledged by %(handler)s.") % {
        "ref": request.reference,
        "handler": _name_of(request),
    }
    contact = _contact_of(request)
    if contact:
        body += " " + _("Contact: %(contact)s.") % {"contact": contact}
    due = _due(request, "resolve")
    if due:
        body += " " + _("Expected resolution by %(due)s.") % {"due": _when(due)}
    return body


def qualified(request):
    return _("Your request %(ref)s was qualified: %(category)s, %(urgency)s, handled by %(handler)s.") % {
        "ref": request.reference,
        "category": request.category.localized_name,
        "urgency": request.get_urgency_display().lower(),
        "handler": _name_of(request),
    }


def planned(request, day):
    return _("The intervention for %(ref)s is planned on %(date)s.") % {
        "ref": request.reference,
        "date": formats.date_format(day, "DATE_FORMAT"),
    }


def started(request):
    return _("The work on %(ref)s has started.") % {"ref": request.reference}


def waiting(request, waiting_for, reason):
    if waiting_for == "requester":
        body = _("%(ref)s is on hold: we need information from you. %(reason)s")
    else:
        body = _("%(ref)s is on hold, waiting for a third party. %(reason)s")
    return (body % {"ref": request.reference, "reason": reason}).strip()


def _day_after(moment, days):
    return formats.date_format(timezone.localtime(moment + timedelta(days=days)), "DATE_FORMAT")


def done(request, note):
    """The work is done: what the commune may do, until when, and what happens if it does nothing."""
    resolved = request.resolved_at or timezone.now()
    close_days, reopen_days = conf.get("GUP_AUTO_CLOSE_DAYS"), conf.get("GUP_REOPEN_WINDOW_DAYS")
    values = {
        "ref": request.reference,
        "note": note.strip(),
        "close": close_days,
        "close_date": _day_after(resolved, close_days),
        "reopen": reopen_days,
        "reopen_date": _day_after(resolved, reopen_days),
    }
    done_text = _(
        "%(ref)s is done. What was done: %(note)s If the problem is solved, please confirm it. "
        "Without an answer from you, the request will be closed automatically on %(close_date)s "
        "(%(close)d days after the work)."
    )
    if reopen_days > close_days:
        reopen_text = _(
            "If the problem is not solved, you can reopen it until %(reopen_date)s "
            "(%(reopen)d days after the work), even once it is closed."
        )
    else:
        reopen_text = _(
            "If the problem is not solved, you can reopen it until %(reopen_date)s "
            "(%(reopen)d days after the work)."
        )
    body = done_text % values + " " + reopen_text % values
    return body


def auto_closed(request):
    return _("%(ref)s was closed without an answer from you after %(days)d days.") % {
        "ref": request.reference,
        "days": conf.get("GUP_AUTO_CLOSE_DAYS"),
    }


def confirmed(request):
    return _("%(ref)s is closed: the resolution was confirmed.") % {"ref": request.reference}


def reopened(request, reason):
    return _("%(ref)s was reopened: %(reason)s") % {"ref": request.reference, "reason": reason}


def rejected(request, reason, turn_to):
    return _("%(ref)s was rejected: %(reason)s Who to turn to: %(turn_to)s") % {
        "ref": request.reference,
        "reason": reason,
        "turn_to": turn_to,
    }


def after_transition(request, code, data, reason):
    """The (kind, body) told to the commune after the transition ``code``; (None, None) for none."""
    from procedures.models import MessageKind

    data = data or {}
    if code == "acknowledge":
        return MessageKind.ACKNOWLEDGED, acknowledged(request)
    if code == "qualify":
        return MessageKind.QUALIFIED, qualified(request)
    if code == "plan":
        return MessageKind.PLANNED, planned(request, request.planned_date)
    if code == "start_work":
        return MessageKind.IN_PROGRESS, started(request)
    if code == "wait":
        return MessageKind.WAITING, waiting(request, data.get("waiting_for"), reason)
    if code == "finish":
        return MessageKind.DONE, done(request, data.get("resolution_note", ""))
    if code == "auto_close":
        return MessageKind.CLOSED, auto_closed(request)
    if code == "confirm":
        return MessageKind.CLOSED, confirmed(request)
    if code == "reopen":
        return MessageKind.REOPENED, reopened(request, reason)
    if code == "reject":
        return MessageKind.REJECTED, rejected(request, reason, data.get("turn_to", ""))
    return None, None


def redirected(request, target_name, reason, contact):
    body = _("%(ref)s was redirected to %(target)s: %(reason)s") % {
        "ref": request.reference,
        "target": target_name,
        "reason": reason.strip(),
    }
    if contact:
        body += " " + _("Who to turn to: %(who)s") % {"who": contact}
    return body


def merged(request, master):
    return _(
        "%(ref)s reports the same dysfunction as %(master)s: it was merged into it, and you will "
        "receive the messages of %(master)s."
    ) % {"ref": request.reference, "master": master.reference}


def urgency_check(request, alert):
    body = _(
        "The urgency of %(ref)s is not justified by an objective criterion: the DVQ asks you to justify it"
    ) % {"ref": request.reference}
    if alert.answer_due_at:
        body += " " + _("by %(due)s") % {"due": _when(alert.answer_due_at)}
    body += "."
    if alert.reason:
        body += " " + alert.reason
    return body


def urgency_removed(request):
    """The DVQ confirmed its alert: the urgency is removed. The DVQ's decision note is internal (kept on
    the alert, for staff): the commune is told the outcome only."""
    return _("The DVQ upheld its alert: %(ref)s is no longer urgent.") % {"ref": request.reference}


def urgency_kept(request):
    """The DVQ closed its alert with no further action: the urgency stands."""
    return _("The DVQ accepted your justification: %(ref)s stays urgent.") % {"ref": request.reference}
