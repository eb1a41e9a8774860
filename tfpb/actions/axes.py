"""Axes of the national framework (reference data, edited from the admin)."""

from django.db import transaction
from django.utils.translation import gettext as _

from tfpb.actions._common import _audit, _check


def may_save_axis(user):
    return user is None or (user.is_active and (user.is_superuser or user.has_perm("tfpb.change_axis")))


def do_save_axis(axis, *, acting_user, changed_fields=()):
    """Create or change an axis of the framework (administrators)."""
    _check(may_save_axis(acting_user), _("You may not edit the axes."))
    created = axis.pk is None
    with transaction.atomic():
        axis.save()
        _audit(
            "axis_created" if created else "axis_changed",
            f"axis:{axis.code}",
            acting_user,
            new={"name": axis.name, "position": axis.position, "is_active": axis.is_active},
            fields=sorted(changed_fields),
        )
    return axis
