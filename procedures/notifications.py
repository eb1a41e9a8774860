"""Email and in-app notifications, sent from the engine's outbox after commit (consumer
``procedures.notifications``), honouring each user's preferences.

Delivery is at least once: in-app notifications carry the outbox event id and are unique per user and
event; messages to the commune are claimed with a compare-and-set update on ``notified_at``.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Unit, User
from procedures.models import (
    InterventionRequest,
    Notification,
    NotificationEvent,
    NotificationPreference,
    RequestFollower,
    RequestMessage,
)

logger = logging.getLogger(__name__)


def _unit_tree(unit_ids, cache=None):
    key = tuple(sorted(unit_ids))
    if cache is not None and key in cache:
        return cache[key]
    ids, frontier = set(unit_ids), list(unit_ids)
    while frontier:
        children = list(Unit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier = [pk for pk in children if pk not in ids]
        ids.update(frontier)
    if cache is not None:
        cache[key] = ids
    return ids


def users_for_parties(parties):
    """Active users matching principal keys (``user:1``, ``org:2#agent``, ``unit:3``, ``role:dvq``)."""
    q = Q(pk__in=[])
    for party in parties or ():
        kind, _sep, rest = str(party).partition(":")
        ident, _sep, role = rest.partition("#")
        role_q = Q(role_assignments__role=role) if role else Q()
        if kind == "user" and ident.isdigit():
            q |= Q(pk=int(ident))
        elif kind == "org" and ident.isdigit():
            q |= Q(organisation_id=int(ident)) & role_q
        elif kind == "unit" and ident.isdigit():
            q |= Q(unit_id__in=_unit_tree([int(ident)])) & role_q
        elif kind == "role" and ident:
            q |= Q(role_assignments__role=ident)
    return list(User.objects.filter(q, is_active=True).distinct().order_by("pk"))


def commune_users(request):
    """Users of the requesting organisation and of every organisation following the request."""
    followers = RequestFollower.objects.filter(request=request).values("organisation_id")
    return list(
        User.objects.filter(
            Q(organisation_id=request.requester_organisation_id) | Q(organisation_id__in=followers),
            is_active=True,
        ).order_by("pk")
    )  # one query, the followers as a subquery


def handler_users(request, cache=None):
    units = [pk for pk in (request.handler_unit_id, request.dispatcher_unit_id) if pk]
    key = ("handlers", tuple(units), request.handler_organisation_id)
    if cache is not None and key in cache:
        return cache[key]
    q = Q(unit_id__in=_unit_tree(units, cache)) if units else Q(pk__in=[])
    if request.handler_organisation_id and not request.handler_unit_id:
        q |= Q(organisation_id=request.handler_organisation_id)
    users = list(User.objects.filter(q, is_active=True).distinct().order_by("pk"))
    if cache is not None:
        cache[key] = users
    return users


class _Round:
    """The notifications of one delivery round: collected, then the preferences read in one query, the
    in-app notifications written in one insert and the e-mails sent over one connection."""

    def __init__(self):
        self.pending = []  # (users, event, text, request, source_event_id)
        self.cache = {}  # unit trees and handler users, for the round

    def notify(self, users, event, text, *, request=None, source_event_id=None):
        users = [user for user in users if user is not None]
        if users:
            self.pending.append((users, event, text, request, source_event_id))
        return len(users)

    def flush(self):
        if not self.pending:
            return 0
        user_ids = {user.pk for users, *_rest in self.pending for user in users}
        events = {event for _users, event, *_rest in self.pending}
        choices = {
            (row.user_id, row.event): (row.by_email, row.in_app)
            for row in NotificationPreference.objects.filter(user_id__in=user_ids, event__in=events)
        }
        in_app, emails, count = [], [], 0
        for users, event, text, request, source_event_id in self.pending:
            subject_prefix = f"[GUP] {request.reference} · " if request else "[GUP] "
            count += len(users)
            for user in users:
                by_email, by_app = choices.get((user.pk, event), (True, True))
                if by_app:
                    in_app.append(
                        Notification(
                            user=user,
                            request=request,
                            event=event,
                            text=text[:500],
                            source_event_id=source_event_id,
                        )
                    )
                if by_email and user.email:
                    body = text
                    if request is not None:
                        body += "\n\n" + _("Follow the request at %(url)s") % {
                            "url": f"{settings.SITE_BASE_URL}/requests/{request.reference}/"
                        }
                    emails.append(
                        EmailMessage(subject_prefix + text.splitlines()[0][:120], body, to=[user.email])
                    )
        self.pending = []
        if in_app:
            Notification.objects.bulk_create(in_app, ignore_conflicts=True)
        if emails:
            get_connection(fail_silently=False).send_messages(emails)
        return count


def notify(users, event, text, *, request=None, source_event_id=None):
    """Send ``text`` to ``users`` by email and in the application, as each user chose. Returns the count."""
    round_ = _Round()
    round_.notify(users, event, text, request=request, source_event_id=source_event_id)
    return round_.flush()


def _send_pending_messages(round_, requests):
    """The messages to the commune not sent yet, of these requests ({request: id of the event they go
    with}): read, claimed (compare-and-set on ``notified_at``) and their recipients read once for all."""
    if not requests:
        return
    by_pk = {request.pk: (request, event_id) for request, event_id in requests.items()}
    pending = list(
        RequestMessage.objects.filter(request_id__in=by_pk, notified_at__isnull=True).order_by("pk")
    )
    if not pending:
        return
    now = timezone.now()
    ids = [message.pk for message in pending]
    claimed = RequestMessage.objects.filter(pk__in=ids, notified_at__isnull=True).update(notified_at=now)
    if not claimed:
        return  # another delivery got them
    if claimed < len(ids):  # another delivery got some of them: keep those this one claimed
        pending = list(RequestMessage.objects.filter(pk__in=ids, notified_at=now).order_by("pk"))
    grouped = {}
    for message in pending:
        grouped.setdefault(message.request_id, []).append(message)
    followers = {}
    for request_id, organisation_id in RequestFollower.objects.filter(request_id__in=grouped).values_list(
        "request_id", "organisation_id"
    ):
        followers.setdefault(request_id, set()).add(organisation_id)
    organisations = {by_pk[pk][0].requester_organisation_id for pk in grouped}
    organisations.update(*followers.values())
    users = list(User.objects.filter(organisation_id__in=organisations, is_active=True).order_by("pk"))
    for request_id, messages in grouped.items():
        request, event_id = by_pk[request_id]
        wanted = {request.requester_organisation_id} | followers.get(request_id, set())
        text = "\n\n".join(message.body for message in messages)
        round_.notify(
            [user for user in users if user.organisation_id in wanted],
            NotificationEvent.MESSAGE,
            text,
            request=request,
            source_event_id=event_id,
        )


def alert_text(kind, code, outcome, reference):
    """The notification of an alert event, in words (the DVQ's urgency check by name, no code)."""
    values = {"code": code, "ref": reference}
    if code == "urgency_check":
        if kind == "alert.raised":
            return _("The DVQ asks the commune to justify the urgency of %(ref)s.") % values
        if kind == "alert.answered":
            return _("The commune answered the urgency check of %(ref)s.") % values
        if outcome == "upheld":
            return _("The DVQ confirmed its alert on %(ref)s: the request is no longer urgent.") % values
        return (
            _("The DVQ closed its alert on %(ref)s with no further action: the request stays urgent.")
            % values
        )
    if kind == "alert.raised":
        return _("Alert (%(code)s) raised on %(ref)s.") % values
    if kind == "alert.answered":
        return _("The alert (%(code)s) on %(ref)s was answered.") % values
    return _("The alert (%(code)s) on %(ref)s was closed: %(outcome)s.") % {**values, "outcome": outcome}


def consume(event):
    """Outbox consumer: one engine event about a case."""
    consume_batch([event])


def consume_batch(events):
    """Outbox consumer for a delivery round: the requests, the preferences, the commune's pending
    messages and their recipients are read once for all the events; the notifications are written in
    one insert and the e-mails sent over one connection."""
    # A message is written in the transaction of an engine action: it is sent to the commune's users
    # with that action's event (consumed first), so its own event needs nothing here.
    events = [event for event in events if event.case_id and event.kind != "request.message"]
    if not events:
        return
    requests = {
        request.case_id: request
        for request in InterventionRequest.objects.select_related("category", "commune").filter(
            case_id__in={event.case_id for event in events}
        )
    }  # a case missing here is of another procedure, or a filing that was rolled back
    round_, with_messages = _Round(), {}
    for event in events:
        request = requests.get(event.case_id)
        if request is not None:
            _consume_one(round_, event, request)
            with_messages.setdefault(request, event.pk)
    _send_pending_messages(round_, with_messages)
    round_.flush()


def _consume_one(round_, event, request):
    notify = round_.notify
    payload = event.payload or {}
    if event.kind == "case.opened":
        text = _("New request %(ref)s (%(category)s) in %(commune)s.") % {
            "ref": request.reference,
            "category": request.category.name,
            "commune": request.commune.name,
        }
        notify(
            handler_users(request, round_.cache),
            NotificationEvent.FILED,
            text,
            request=request,
            source_event_id=event.pk,
        )
    elif event.kind in ("alert.raised", "alert.answered", "alert.closed"):
        code = payload.get("code", "")
        if event.kind == "alert.raised":
            parties = list(payload.get("parties") or [])
            if code == "urgency_check":
                parties.append("role:dvq_officer")  # the DVQ is told of every urgency check
            users = users_for_parties(parties)
        elif event.kind == "alert.answered":
            users = (
                users_for_parties(["role:dvq_officer"])
                if code == "urgency_check"
                else handler_users(request, round_.cache)
            )
        else:
            users = handler_users(request, round_.cache)
        text = alert_text(event.kind, code, payload.get("outcome", ""), request.reference)
        notify(users, NotificationEvent.ALERT, text, request=request, source_event_id=event.pk)
    elif event.kind == "case.role_assigned" and payload.get("role") == "handler":
        text = _("The request %(ref)s (%(category)s, %(commune)s) was handed to you.") % {
            "ref": request.reference,
            "category": request.category.name,
            "commune": request.commune.name,
        }
        added = [
            party for party in payload.get("parties") or [] if party not in (payload.get("previous") or [])
        ]
        notify(
            users_for_parties(added), NotificationEvent.FILED, text, request=request, source_event_id=event.pk
        )
    elif event.kind == "case.shared" and payload.get("user"):
        text = _("The request %(ref)s (%(category)s, %(commune)s) was shared with you, read only.") % {
            "ref": request.reference,
            "category": request.category.name,
            "commune": request.commune.name,
        }
        notify(
            users_for_parties([f"user:{payload['user']}"]),
            NotificationEvent.FILED,
            text,
            request=request,
            source_event_id=event.pk,
        )
    elif event.kind == "notification":
        users = users_for_parties(payload.get("parties") or [])
        message = payload.get("message", "")
        if message == "deadline_near":
            text = _("A deadline of %(ref)s is near.") % {"ref": request.reference}
            kind = NotificationEvent.DEADLINE
        elif message == "urgency_check_late":
            text = _("The commune did not justify the urgency of %(ref)s in time.") % {
                "ref": request.reference
            }
            kind = NotificationEvent.ALERT
        elif message == "reopened":
            text = _("The commune reopened the request %(ref)s.") % {"ref": request.reference}
            kind = NotificationEvent.MESSAGE
        else:
            text = _("Update on %(ref)s: %(message)s.") % {"ref": request.reference, "message": message}
            kind = NotificationEvent.MESSAGE
        notify(users, kind, text, request=request, source_event_id=event.pk)
