"""Actions decided in meetings (or produced by another module: ``source``) and their follow-up.

Every change goes through one of these functions with its audit entry. Reminders (before the due date,
and once overdue) are claimed with a compare-and-set update on ``reminder_sent_at`` / ``overdue_sent_at``
so that two workers never send the same one twice."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation, OrganisationKind, Perimeter, User
from steering import conf
from steering.actions.common import audit, check, emit, invalid, is_organiser
from steering.models import OPEN_ACTION_STATUSES, Action, ActionStatus, AgendaItem, Meeting, MeetingStatus

EDITABLE = ("title", "description", "due_date", "owner_organisation", "owner_person", "commune", "qpv")


def _target(action):
    return f"action:{action.pk}"


def _value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def _validate(action):
    errors = {}
    if not (action.title or "").strip():
        errors["title"] = _("An action needs a title.")
    if action.owner_organisation_id is None:
        errors["owner_organisation"] = _("An action needs an owner organisation.")
    elif action.owner_person_id and action.owner_person.organisation_id != action.owner_organisation_id:
        errors["owner_person"] = _("The person in charge must belong to the owner organisation.")
    if action.commune_id and action.commune.kind != OrganisationKind.COMMUNE:
        errors["commune"] = _("Choose a commune.")
    if action.qpv_id and action.qpv.layer != "qpv":
        errors["qpv"] = _("Choose a QPV.")
    if action.decision_id and action.meeting_id and action.decision.meeting_id != action.meeting_id:
        errors["decision"] = _("The decision was taken in another meeting.")
    if errors:
        invalid(**errors)


def _resolve(model, value, field):
    if value is None or isinstance(value, model):
        return value
    found = model.objects.filter(pk=value).first()
    if found is None:
        invalid(**{field: _("Unknown: %(value)s.") % {"value": value}})
    return found


def may_create_action(user):
    return is_organiser(user)


def may_change_action(user, action):
    """The organisers, and the owner organisation's people for their own actions."""
    return is_organiser(user) or (
        user.is_active
        and user.organisation_id is not None
        and user.organisation_id == action.owner_organisation_id
    )


def _put_on_next_agenda(action):
    """An open action from a meeting goes on the agenda of the next planned meeting of the same kind."""
    if action.meeting_id is None or not action.is_open:
        return None
    following = (
        action.meeting.kind.meetings.filter(
            status=MeetingStatus.PLANNED, starts_at__gt=action.meeting.starts_at
        )
        .order_by("starts_at", "pk")
        .first()
    )
    if following is None or following.agenda_items.filter(action=action).exists():
        return None
    position = following.agenda_items.count() + 1
    AgendaItem.objects.create(
        meeting=following,
        position=position,
        title=_("Follow-up: %(title)s") % {"title": action.title},
        action=action,
    )
    action.discussed_at.add(following)
    return following


def do_create_action(
    *,
    title,
    owner_organisation,
    acting_user,
    owner_person=None,
    due_date=None,
    description="",
    meeting=None,
    decision=None,
    commune=None,
    qpv=None,
    requests=(),
    source="",
):
    """Create an action (from a decision, a meeting, or another module naming itself in ``source``)."""
    check(may_create_action(acting_user), _("You may not create actions."))
    action = Action(
        title=(title or "").strip(),
        description=description or "",
        owner_organisation=_resolve(Organisation, owner_organisation, "owner_organisation"),
        owner_person=_resolve(User, owner_person, "owner_person"),
        due_date=due_date,
        meeting=meeting or (decision.meeting if decision is not None else None),
        decision=decision,
        commune=_resolve(Organisation, commune, "commune"),
        qpv=_resolve(Perimeter, qpv, "qpv"),
        source=(source or "")[:200],
    )
    _validate(action)
    with transaction.atomic():
        action.save()
        if requests:
            action.requests.set(requests)
        following = _put_on_next_agenda(action)
        audit(
            "action_created",
            _target(action),
            acting_user,
            title=action.title,
            owner=action.owner_organisation_id,
            person=action.owner_person_id,
            due_date=_value(action.due_date),
            meeting=action.meeting_id,
            source=action.source,
            on_agenda_of=following.pk if following else None,
        )
    return action


def do_update_action(action, *, changes, acting_user):
    check(may_change_action(acting_user, action), _("You may not change this action."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        invalid(**{field: _("This field cannot be changed.") for field in sorted(unknown)})
    if not is_organiser(acting_user) and {"owner_organisation", "owner_person"} & set(changes):
        check(False, _("Only the organisers may change who owns an action."))
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        old = {f: _value(getattr(action, f)) for f in changes}
        models = {
            "owner_organisation": Organisation,
            "commune": Organisation,
            "owner_person": User,
            "qpv": Perimeter,
        }
        for field, value in changes.items():
            if field in models:
                value = _resolve(models[field], value, field)
            setattr(
                action, field, value if value is not None or field in models or field == "due_date" else ""
            )
        _validate(action)
        new = {f: _value(getattr(action, f)) for f in changes}
        changed = sorted(f for f in changes if old[f] != new[f])
        if not changed:
            return action
        if "due_date" in changed:  # a new due date gets its own reminders
            action.reminder_sent_at = action.overdue_sent_at = None
        action.save()
        audit(
            "action_changed",
            _target(action),
            acting_user,
            old={f: old[f] for f in changed},
            new={f: new[f] for f in changed},
        )
    return action


def do_change_action_status(action, *, status, reason="", acting_user):
    """Planned, in progress, done, or abandoned (with the reason)."""
    check(may_change_action(acting_user, action), _("You may not change this action."))
    if status not in ActionStatus.values:
        invalid(status=_("Unknown status: %(status)s.") % {"status": status})
    reason = (reason or "").strip()
    if status == ActionStatus.ABANDONED and not reason:
        invalid(reason=_("Say why the action is abandoned."))
    with transaction.atomic():
        action = Action.objects.select_for_update().get(pk=action.pk)
        old = action.status
        if old == status:
            return action
        action.status = status
        action.abandon_reason = reason if status == ActionStatus.ABANDONED else ""
        action.save(update_fields=["status", "abandon_reason"])
        if action.is_open:
            _put_on_next_agenda(action)
        else:  # a closed action leaves the agendas of the meetings still to come
            upcoming = list(
                action.agenda_items.filter(
                    meeting__status=MeetingStatus.PLANNED, meeting__starts_at__gt=timezone.now()
                ).values_list("meeting_id", flat=True)
            )
            action.agenda_items.filter(meeting_id__in=upcoming).delete()
            action.discussed_at.remove(*upcoming)
        audit("action_status_changed", _target(action), acting_user, old=old, new=status, reason=reason)
    return action


def may_link_action(user, action):
    return is_organiser(user)


def _links(requests, discussed_at, sector_procedures):
    from procedures.models import InterventionRequest
    from procedures.sectors.models import SectorProcedure

    for field, values, model in (
        ("requests", requests, InterventionRequest),
        ("discussed_at", discussed_at, Meeting),
        ("sector_procedures", sector_procedures, SectorProcedure),
    ):
        if any(not isinstance(value, model) for value in values):
            invalid(**{field: _("Unknown: %(value)s.") % {"value": field}})
    return list(requests), list(discussed_at), list(sector_procedures)


def do_link_action(action, *, requests=(), discussed_at=(), sector_procedures=(), acting_user):
    """Link an action to intervention requests, to the meetings where it was discussed and to the
    sub-sector procedures it is about."""
    check(may_link_action(acting_user, action), _("You may not change this action."))
    requests, discussed_at, sector_procedures = _links(requests, discussed_at, sector_procedures)
    with transaction.atomic():
        action.requests.add(*requests)
        action.discussed_at.add(*discussed_at)
        action.sector_procedures.add(*sector_procedures)
        audit(
            "action_linked",
            _target(action),
            acting_user,
            requests=sorted(r.pk for r in requests),
            meetings=sorted(m.pk for m in discussed_at),
            sector_procedures=sorted(p.pk for p in sector_procedures),
        )
    return action


def do_unlink_action(action, *, requests=(), sector_procedures=(), acting_user):
    """Take requests or sub-sector procedures off an action (only those it is linked to count)."""
    check(may_link_action(acting_user, action), _("You may not change this action."))
    requests, _meetings, sector_procedures = _links(requests, (), sector_procedures)
    with transaction.atomic():
        requests = list(action.requests.filter(pk__in=[r.pk for r in requests]))
        sector_procedures = list(action.sector_procedures.filter(pk__in=[p.pk for p in sector_procedures]))
        if not requests and not sector_procedures:
            return action
        action.requests.remove(*requests)
        action.sector_procedures.remove(*sector_procedures)
        audit(
            "action_unlinked",
            _target(action),
            acting_user,
            requests=sorted(r.pk for r in requests),
            sector_procedures=sorted(p.pk for p in sector_procedures),
        )
    return action


def _owners(action):
    if action.owner_person_id:
        return [action.owner_person_id]
    return list(
        User.objects.filter(organisation_id=action.owner_organisation_id, is_active=True).values_list(
            "pk", flat=True
        )
    )


def send_action_reminders():
    """Worker job: remind the owners of open actions due within STEERING_ACTION_REMINDER_DAYS, and tell them
    once an action is overdue; each exactly once (compare-and-set claims). Returns how many were sent."""
    now = timezone.now()
    today = timezone.localdate(now)
    days = conf.get("STEERING_ACTION_REMINDER_DAYS")
    open_actions = Action.objects.filter(status__in=OPEN_ACTION_STATUSES, due_date__isnull=False)
    sent = 0
    if days > 0:
        soon = open_actions.filter(
            reminder_sent_at=None, due_date__gte=today, due_date__lte=today + timedelta(days=days)
        )
        for pk in list(soon.values_list("pk", flat=True)):
            sent += _claim_and_emit(pk, "reminder_sent_at", "steering.action_reminder", now)
    overdue = open_actions.filter(overdue_sent_at=None, due_date__lt=today)
    for pk in list(overdue.values_list("pk", flat=True)):
        sent += _claim_and_emit(pk, "overdue_sent_at", "steering.action_overdue", now)
    return sent


def _claim_and_emit(pk, column, kind, now):
    with transaction.atomic():
        claimed = Action.objects.filter(pk=pk, status__in=OPEN_ACTION_STATUSES, **{column: None}).update(
            **{column: now}
        )
        if claimed != 1:
            return 0
        action = Action.objects.get(pk=pk)
        emit(kind, action=pk, title=action.title, due_date=action.due_date.isoformat(), users=_owners(action))
        audit(kind.split(".", 1)[1] + "_sent", _target(action), None, due_date=action.due_date.isoformat())
    return 1
