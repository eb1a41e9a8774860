"""A meeting's agenda: items added, renamed, moved and removed by the organiser while the meeting is
planned (the follow-up items of open actions are put there by ``steering.actions.follow_up`` and
``meetings._carry_open_actions``)."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from steering.actions.common import audit, check, invalid
from steering.actions.meetings import _target, may_change_meeting
from steering.models import AgendaItem, Meeting, MeetingStatus


def do_add_agenda_item(meeting, *, title, acting_user):
    check(may_change_meeting(acting_user, meeting), _("You may not change this meeting."))
    if not (title or "").strip():
        invalid(title=_("An agenda item needs a title."))
    with transaction.atomic():
        position = (meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0) + 1
        item = AgendaItem.objects.create(meeting=meeting, position=position, title=title.strip()[:300])
        audit("agenda_item_added", _target(meeting), acting_user, title=item.title)
    return item


def _agenda_item_changeable(item, acting_user):
    """Lock the item's meeting (read again: its status may have changed) and check it can change."""
    meeting = Meeting.objects.select_for_update().get(pk=item.meeting_id)
    check(may_change_meeting(acting_user, meeting), _("You may not change this meeting."))
    if meeting.status != MeetingStatus.PLANNED:
        invalid(title=_("Only the agenda of a planned meeting can be changed."))
    return meeting


def _renumber(meeting, moved=None, position=None):
    """Number the agenda 1, 2, 3… in its order, ``moved`` put at ``position`` (1-based, clamped)."""
    items = [i for i in meeting.agenda_items.order_by("position", "pk") if moved is None or i.pk != moved.pk]
    if moved is not None:
        index = min(max(int(position), 1), len(items) + 1) - 1
        items.insert(index, moved)
    for number, item in enumerate(items, 1):
        if item.position != number:
            item.position = number
            item.save(update_fields=["position"])
    return items


def do_change_agenda_item(item, *, title, position=None, acting_user):
    """Rename an agenda item of a planned meeting and, when ``position`` is given, move it there."""
    title = (title or "").strip()
    errors = {}
    if not title:
        errors["title"] = _("An agenda item needs a title.")
    if position is not None and (not isinstance(position, int) or position < 1):
        errors["position"] = _("Give a position of 1 or more.")
    with transaction.atomic():
        _agenda_item_changeable(item, acting_user)
        if errors:
            invalid(**errors)
        item = AgendaItem.objects.select_for_update().select_related("meeting").get(pk=item.pk)
        old = {"title": item.title, "position": item.position}
        item.title = title[:300]
        item.save(update_fields=["title"])
        if position is not None:
            _renumber(item.meeting, item, position)
            item.refresh_from_db(fields=["position"])
        new = {"title": item.title, "position": item.position}
        if old != new:
            audit("agenda_item_changed", _target(item.meeting), acting_user, item=item.pk, old=old, new=new)
    return item


def do_remove_agenda_item(item, *, acting_user):
    """Take an item off the agenda of a planned meeting; an action's follow-up item also takes the meeting
    off the meetings where the action is discussed."""
    with transaction.atomic():
        meeting = _agenda_item_changeable(item, acting_user)
        if item.action_id:
            item.action.discussed_at.remove(meeting)
        title, action_id = item.title, item.action_id
        item.delete()
        _renumber(meeting)
        audit("agenda_item_removed", _target(meeting), acting_user, title=title, action=action_id)
