"""The directory's write path: role assignments, perimeters, parcels and layer imports.

Each ``do_<verb>_<noun>(..., *, acting_user)`` runs in one transaction: the permission check (its
``may_<verb>_<noun>`` beside it; ``acting_user=None`` is the system, i.e. a management command), the write,
and one ``DirectoryAuditEntry``. The admin and the import command call them and decide no rule.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from directory import delegation, geo
from directory.layers import PARCELS, import_layer
from directory.models import DirectoryAuditEntry, Parcel, RoleAssignment
from engine.errors import RoleNotAllowed


def _may(acting_user, *perms):
    return acting_user is None or (acting_user.is_active and acting_user.has_perms(perms))


def _check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def _audit(event, target, acting_user, **data):
    return DirectoryAuditEntry.objects.create(actor=acting_user, event=event, target=target[:200], data=data)


# --- role assignments ------------------------------------------------------------------------------


def may_assign_person_role(acting_user):
    return _may(acting_user, "directory.add_roleassignment")


def may_remove_person_role(acting_user):
    return _may(acting_user, "directory.delete_roleassignment")


def do_assign_person_role(person, role, *, acting_user):
    """Give `person` the role (idempotent: an existing assignment is returned, with no audit entry)."""
    _check(may_assign_person_role(acting_user), _("You may not assign roles."))
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(user=person, role=role)
        if created:
            _audit("role_assigned", f"user:{person.username}", acting_user, role=role)
    return assignment


def do_remove_person_role(person, role, *, acting_user):
    """Take the role from `person`; returns whether they held it."""
    _check(may_remove_person_role(acting_user), _("You may not remove roles."))
    with transaction.atomic():
        deleted, _rows = RoleAssignment.objects.filter(user=person, role=role).delete()
        if deleted:
            _audit("role_removed", f"user:{person.username}", acting_user, role=role)
    return bool(deleted)


# --- perimeters and parcels ------------------------------------------------------------------------


def _perimeter_target(perimeter):
    return f"perimeter:{perimeter.layer}/{perimeter.code}"


def _set_geometry(obj):
    shape = obj.set_geometry(obj.geometry)
    obj.area_m2 = geo.area_m2(shape)


def may_save_perimeter(acting_user, perimeter):
    return _may(acting_user, "directory.change_perimeter" if perimeter.pk else "directory.add_perimeter")


def do_save_perimeter(perimeter, *, acting_user, changed_fields=()):
    """Create or update a perimeter (geometry validated, bounding box and area recomputed)."""
    _check(may_save_perimeter(acting_user, perimeter), _("You may not edit perimeters."))
    created = perimeter.pk is None
    with transaction.atomic():
        _set_geometry(perimeter)
        perimeter.save()
        _audit(
            "perimeter_created" if created else "perimeter_changed",
            _perimeter_target(perimeter),
            acting_user,
            fields=sorted(changed_fields),
        )
    return perimeter


def may_delete_perimeter(acting_user):
    return _may(acting_user, "directory.delete_perimeter")


def do_delete_perimeter(perimeter, *, acting_user):
    _check(may_delete_perimeter(acting_user), _("You may not delete perimeters."))
    with transaction.atomic():
        target = _perimeter_target(perimeter)
        perimeter.delete()
        _audit("perimeter_deleted", target, acting_user)


def may_save_parcel(acting_user, parcel):
    return _may(acting_user, "directory.change_parcel" if parcel.pk else "directory.add_parcel")


def do_save_parcel(parcel, *, acting_user, changed_fields=()):
    """Create or update a parcel; the sub-sectors its old and new outlines touch get their delegation
    recomputed."""
    _check(may_save_parcel(acting_user, parcel), _("You may not edit parcels."))
    created = parcel.pk is None
    with transaction.atomic():
        old = (
            None
            if created
            else Parcel.objects.filter(pk=parcel.pk)
            .values_list("min_lon", "min_lat", "max_lon", "max_lat")
            .first()
        )
        _set_geometry(parcel)
        parcel.save()
        changed = delegation.recompute_for_parcel_bboxes(
            old, (parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat)
        )
        _audit(
            "parcel_created" if created else "parcel_changed",
            f"parcel:{parcel.ref}",
            acting_user,
            fields=sorted(changed_fields),
            delegations_changed=changed or 0,
        )
    return parcel


def may_delete_parcel(acting_user):
    return _may(acting_user, "directory.delete_parcel")


def do_delete_parcels(parcels, *, acting_user):
    """Delete parcels (one audit entry each) and recompute the delegation of the sub-sectors they touched."""
    _check(may_delete_parcel(acting_user), _("You may not delete parcels."))
    with transaction.atomic():
        parcels = list(parcels)
        bboxes = [(p.min_lon, p.min_lat, p.max_lon, p.max_lat) for p in parcels]
        for parcel in parcels:
            ref = parcel.ref
            parcel.delete()
            _audit("parcel_deleted", f"parcel:{ref}", acting_user)
        if bboxes:
            delegation.recompute_for_parcel_bboxes(*bboxes)


# --- layer imports ---------------------------------------------------------------------------------


def may_import_layer(acting_user, layer):
    model = "parcel" if layer == PARCELS else "perimeter"
    return _may(
        acting_user, f"directory.add_{model}", f"directory.change_{model}", f"directory.delete_{model}"
    )


def do_import_layer(layer, raw, *, acting_user, replace=False, stream=None, source=""):
    """Import a GeoJSON file into a layer, all or nothing (directory.layers.ImportFailed otherwise), with one
    audit entry naming the counts."""
    _check(may_import_layer(acting_user, layer), _("You may not import territory layers."))
    with transaction.atomic():
        result = import_layer(layer, raw, replace=replace, stream=stream)
        _audit(
            "layer_imported",
            f"layer:{layer}",
            acting_user,
            source=source[:200],
            replace=replace,
            created=result.created,
            updated=result.updated,
            deleted=result.deleted,
            delegations_changed=result.delegations_changed,
            communes_created=list(result.communes_created),
        )
    return result
