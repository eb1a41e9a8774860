"""The write path of CLECT groups: create and rename a group, add a perimeter or a sub-sector procedure to
it from a date, end a membership at a date.

A perimeter (or a procedure) belongs to at most one group on any day: a membership whose dates meet
another one of the same member (in this group or another) is refused, in French, naming the group and the
dates. The member's row is locked (``select_for_update``) before that check, so two administrators adding
the same perimeter to two groups at once cannot both succeed. Each action checks ``may_edit_clect_group``,
validates everything before writing, writes one ``ClectAuditEntry`` and queues a ``sector.clect_*`` event.
"""

import datetime

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from directory.models import Layer, Perimeter
from engine.errors import InvalidFields, RoleNotAllowed
from procedures.scope import is_administrator
from procedures.sectors.actions import _date, _text, event
from procedures.sectors.clect_models import ClectAuditEntry, ClectGroup, ClectMembership
from procedures.sectors.models import SectorProcedure

# Layers whose perimeters can be grouped (communes and CTC sectors are what the CLECT compares, not groups).
GROUPABLE_LAYERS = (Layer.SUBSECTORS, Layer.QPV, Layer.ZONES)


def may_edit_clect_group(acting_user):
    return acting_user is None or (acting_user.is_active and is_administrator(acting_user))


def check_may_edit(acting_user):
    if not may_edit_clect_group(acting_user):
        raise RoleNotAllowed([], _("Only administrators may edit CLECT groups."))


def audit(group, kind, acting_user, **data):
    return ClectAuditEntry.objects.create(group=group, event=kind, actor=acting_user, data=data)


def do_create_clect_group(*, acting_user, code, name, description=""):
    check_may_edit(acting_user)
    errors = {}
    code = _text(code, "code", errors, limit=64, required=True)
    if code and ClectGroup.objects.filter(code=code).exists():
        errors["code"] = _("A CLECT group already has this code.")
    name = _text(name, "name", errors, limit=200, required=True)
    description = _text(description, "description", errors, limit=5000)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        group = ClectGroup.objects.create(
            code=code, name=name, description=description, created_by=acting_user
        )
        audit(group, "group_created", acting_user, code=code, name=name)
        event("clect_group_created", group=code)
    return group


def do_change_clect_group(group, *, acting_user, name=None, description=None):
    """Rename a group or change its description (the code stays: it names the group in the API)."""
    check_may_edit(acting_user)
    errors, changes = {}, {}
    if name is not None:
        changes["name"] = _text(name, "name", errors, limit=200, required=True)
    if description is not None:
        changes["description"] = _text(description, "description", errors, limit=5000)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        group = ClectGroup.objects.select_for_update().get(pk=group.pk)
        changes = {key: value for key, value in changes.items() if getattr(group, key) != value}
        if not changes:
            return group
        old = {key: getattr(group, key) for key in changes}
        for key, value in changes.items():
            setattr(group, key, value)
        group.save(update_fields=list(changes))
        audit(group, "group_changed", acting_user, old=old, new=changes)
    return group


def _day(value):
    return date_format(value, "SHORT_DATE_FORMAT")


def _clash(member_filter, starts_on, ends_on, exclude_pk=None):
    """The first membership of the same member whose period meets [starts_on, ends_on] (None: open)."""
    others = ClectMembership.objects.filter(**member_filter).select_related("group")
    if exclude_pk:
        others = others.exclude(pk=exclude_pk)
    others = others.exclude(ends_on__lt=starts_on)
    if ends_on is not None:
        others = others.exclude(starts_on__gt=ends_on)
    return others.order_by("starts_on").first()


def _clash_message(clash):
    if clash.ends_on:
        period = _("from %(start)s to %(end)s") % {"start": _day(clash.starts_on), "end": _day(clash.ends_on)}
    else:
        period = _("since %(start)s") % {"start": _day(clash.starts_on)}
    return _(
        "%(member)s is already in the CLECT group « %(group)s » %(period)s: a perimeter belongs to one "
        "group at a time (end that membership first, or choose other dates)."
    ) % {"member": clash.member, "group": clash.group.name, "period": period}


def do_add_clect_member(group, *, acting_user, starts_on, perimeter=None, procedure=None, ends_on=None):
    """Put a perimeter or a sub-sector procedure (one of the two) in the group from ``starts_on`` (until
    ``ends_on`` included, or open-ended)."""
    check_may_edit(acting_user)
    errors = {}
    if (perimeter is None) == (procedure is None):
        errors["member"] = _("Choose a perimeter or a sub-sector procedure (one of the two).")
    if perimeter is not None and not isinstance(perimeter, Perimeter):
        perimeter = Perimeter.objects.filter(pk=perimeter).first()
        if perimeter is None:
            errors["perimeter"] = _("Unknown perimeter.")
    if perimeter is not None and perimeter.layer not in GROUPABLE_LAYERS:
        errors["perimeter"] = _("Only sub-sectors, priority neighbourhoods and management zones are grouped.")
    if procedure is not None and not isinstance(procedure, SectorProcedure):
        procedure = SectorProcedure.objects.filter(pk=procedure).first()
        if procedure is None:
            errors["procedure"] = _("Unknown sub-sector procedure.")
    starts_on = _date(starts_on, "starts_on", errors)
    ends_on = _date(ends_on, "ends_on", errors, required=False)
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("The membership cannot end before it starts.")
    if errors:
        raise InvalidFields(errors)
    field = "perimeter" if perimeter is not None else "procedure"
    member = perimeter if perimeter is not None else procedure
    with transaction.atomic():
        type(member).objects.select_for_update().filter(pk=member.pk).first()  # one check at a time
        clash = _clash({field: member}, starts_on, ends_on)
        if clash is not None:
            raise InvalidFields({field: _clash_message(clash)})
        membership = ClectMembership.objects.create(
            group=group,
            perimeter=perimeter,
            procedure=procedure,
            starts_on=starts_on,
            ends_on=ends_on,
            added_by=acting_user,
        )
        audit(
            group,
            "member_added",
            acting_user,
            membership=membership.pk,
            **{field: member.code},
            starts_on=str(starts_on),
            ends_on=str(ends_on) if ends_on else None,
        )
        event("clect_member_added", group=group.code, **{field: member.code})
    return membership


def do_end_clect_membership(membership, *, acting_user, ends_on):
    """End a membership at ``ends_on`` (included): from the next day, the member can join another group."""
    check_may_edit(acting_user)
    errors = {}
    ends_on = _date(ends_on, "ends_on", errors)
    if ends_on and ends_on < membership.starts_on:
        errors["ends_on"] = _("The membership cannot end before it starts (%(start)s).") % {
            "start": _day(membership.starts_on)
        }
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        membership = ClectMembership.objects.select_for_update().select_related("group").get(pk=membership.pk)
        if membership.ends_on == ends_on:
            return membership
        if membership.ends_on is not None and ends_on > membership.ends_on:
            field = "perimeter" if membership.perimeter_id else "procedure"
            clash = _clash(
                {field: membership.member},
                membership.ends_on + datetime.timedelta(days=1),
                ends_on,
                exclude_pk=membership.pk,
            )
            if clash is not None:
                raise InvalidFields({"ends_on": _clash_message(clash)})
        old = membership.ends_on
        membership.ends_on = ends_on
        membership.save(update_fields=["ends_on"])
        audit(
            membership.group,
            "member_ended",
            acting_user,
            membership=membership.pk,
            old=str(old) if old else None,
            new=str(ends_on),
        )
        event("clect_member_ended", group=membership.group.code, membership=membership.pk)
    return membership


__all__ = [
    "check_may_edit",
    "do_add_clect_member",
    "do_change_clect_group",
    "do_create_clect_group",
    "do_end_clect_membership",
    "may_edit_clect_group",
]
