"""The directory's write path: role assignments, perimeters, parcels and layer imports.

Each ``do_<verb>_<noun>(..., *, acting_user)`` runs in one transaction: the permission check (its
``may_<verb>_<noun>`` beside it; ``acting_user=None`` is the system, i.e. a management command), the write,
and one ``DirectoryAuditEntry``. The admin and the import command call them and decide no rule.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import delegation, geo, land
from directory.layers import PARCELS, import_layer
from directory.models import (
    DirectoryAuditEntry,
    Domain,
    LandOperation,
    LandOperationKind,
    LayerVersion,
    OwnershipSource,
    Parcel,
    ParcelOwnership,
    RoleAssignment,
    SirenMapping,
)
from engine import outbox
from engine.errors import InvalidFields, RoleNotAllowed


def _may(acting_user, *perms):
    return acting_user is None or (acting_user.is_active and acting_user.has_perms(perms))


def _check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def _audit(event, target, acting_user, **data):
    return DirectoryAuditEntry.objects.create(actor=acting_user, event=event, target=target[:200], data=data)


def _land_change(event, target, acting_user, **data):
    """A change of the land (parcels, their owners, land operations, SIREN mappings): its audit entry and
    its outbox event `land.<event>` (same data, delivered after commit)."""
    entry = _audit(event, target, acting_user, **data)
    outbox.emit(f"land.{event}", case_id=None, payload={"target": target[:200], **data})
    return entry


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
        new_owner = parcel.owner
        old_owner_id = old_owner = None
        if not created:
            old_owner = Parcel.objects.filter(pk=parcel.pk).values_list("owner_id", flat=True)
            old_owner_id = old_owner.first()
        owner_changed = not created and old_owner_id != parcel.owner_id
        if owner_changed:
            # The change is dated: do_change_parcel_owner closes the old period.
            parcel.owner_id = old_owner_id
        _set_geometry(parcel)
        parcel.save()
        if owner_changed:
            do_change_parcel_owner(parcel, new_owner, acting_user=acting_user, recompute=False)
            parcel.refresh_from_db()
        changed = delegation.recompute_for_parcel_bboxes(
            old, (parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat)
        )
        _land_change(
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
            _land_change("parcel_deleted", f"parcel:{ref}", acting_user)
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
        (_land_change if layer == PARCELS else _audit)(
            "layer_imported",
            f"layer:{layer}",
            acting_user,
            source=source[:200],
            replace=replace,
            created=result.created,
            updated=result.updated,
            deleted=result.deleted,
            delegations_changed=result.delegations_changed,
            owners_changed=result.owners_changed,
            communes_created=list(result.communes_created),
        )
    return result


# --- dated ownership and land operations -----------------------------------------------------------


def _owner_label(owner_id, siren=""):
    return owner_id if owner_id else (f"siren:{siren}" if siren else None)


def _refuse(field, message):
    raise InvalidFields({field: message})


def may_change_parcel_owner(acting_user, parcel):
    return _may(acting_user, "directory.change_parcel")


def do_change_parcel_owner(
    parcel,
    owner,
    *,
    acting_user,
    on=None,
    siren="",
    owner_name="",
    source=OwnershipSource.EDIT,
    operation=None,
    recompute=True,
):
    """From `on` (a date, default today) the parcel belongs to `owner` (None: private or unmapped, named by
    `siren`/`owner_name`): the period covering that day is closed, a new open one starts. Refused when a
    change is already recorded after that day. Returns the new period (or the current one if unchanged)."""
    _check(may_change_parcel_owner(acting_user, parcel), _("You may not change the owner of parcels."))
    day = land.as_day(on)
    owner_id = owner.pk if owner is not None else None
    with transaction.atomic():
        parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
        periods = land.periods_of(parcel)
        later = [p for p in periods if p.valid_from is not None and p.valid_from > day]
        if later:
            _refuse(
                "valid_from",
                _("Parcel %(ref)s already has an owner from %(date)s: a change on %(day)s would overlap it.")
                % {"ref": parcel.ref, "date": later[0].valid_from.isoformat(), "day": day.isoformat()},
            )
        if parcel.valid_until is not None and day >= parcel.valid_until:
            _refuse(
                "valid_from",
                _("Parcel %(ref)s no longer exists on %(day)s.")
                % {"ref": parcel.ref, "day": day.isoformat()},
            )
        if not periods:
            # Before dated ownership the parcel's owner held it at every date: that becomes its first period.
            periods = [
                ParcelOwnership.objects.create(
                    parcel=parcel, owner_id=parcel.owner_id, source=OwnershipSource.EDIT, valid_from=None
                )
            ]
        current = land.covering(periods, day)
        if current is not None and (current.owner_id, current.siren) == (owner_id, siren):
            return current
        old = _owner_label(current.owner_id, current.siren) if current else None
        if current is not None and current.valid_from == day:
            # The same day's owner corrected (e.g. an import run again after a mapping fix).
            current.owner_id, current.siren, current.owner_name = owner_id, siren, owner_name[:200]
            current.source, current.operation = source, operation
            current.save()
            period = current
        else:
            if current is not None:
                current.valid_until = day
                current.save(update_fields=["valid_until"])
            period = ParcelOwnership.objects.create(
                parcel=parcel,
                owner_id=owner_id,
                siren=siren,
                owner_name=owner_name[:200],
                valid_from=day,
                source=source,
                operation=operation,
            )
        land.refresh_current_owner(parcel)
        changed = 0
        if recompute:
            changed = delegation.recompute_for_parcel_bboxes(
                (parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat)
            )
        _land_change(
            "parcel_owner_changed",
            f"parcel:{parcel.ref}",
            acting_user,
            old_owner=old,
            new_owner=_owner_label(owner_id, siren),
            valid_from=day.isoformat(),
            source=source,
            delegations_changed=changed,
        )
    return period


def do_record_ownership_period(
    parcel,
    owner,
    *,
    valid_from,
    valid_until,
    acting_user,
    siren="",
    owner_name="",
    source=OwnershipSource.EDIT,
):
    """Record a closed or open period of ownership (e.g. a past owner); refused if it overlaps another."""
    _check(may_change_parcel_owner(acting_user, parcel), _("You may not change the owner of parcels."))
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        _refuse("valid_until", _("The end of the period must come after its start."))
    with transaction.atomic():
        parcel = Parcel.objects.select_for_update().get(pk=parcel.pk)
        clash = land.overlapping(land.periods_of(parcel), valid_from, valid_until)
        if clash is not None:
            _refuse(
                "valid_from",
                _("This period overlaps the owner of parcel %(ref)s from %(start)s to %(end)s.")
                % {
                    "ref": parcel.ref,
                    "start": clash.valid_from.isoformat() if clash.valid_from else "…",
                    "end": clash.valid_until.isoformat() if clash.valid_until else "…",
                },
            )
        period = ParcelOwnership.objects.create(
            parcel=parcel,
            owner=owner,
            siren=siren,
            owner_name=owner_name[:200],
            valid_from=valid_from,
            valid_until=valid_until,
            source=source,
        )
        land.refresh_current_owner(parcel)
        changed = delegation.recompute_for_parcel_bboxes(
            (parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat)
        )
        _land_change(
            "ownership_period_recorded",
            f"parcel:{parcel.ref}",
            acting_user,
            owner=_owner_label(owner.pk if owner else None, siren),
            valid_from=valid_from.isoformat() if valid_from else None,
            valid_until=valid_until.isoformat() if valid_until else None,
            delegations_changed=changed,
        )
    return period


def may_record_land_operation(acting_user):
    return _may(acting_user, "directory.add_landoperation", "directory.change_parcel", "directory.add_parcel")


def do_record_land_operation(
    *, kind, name, effective_date, acting_user, project="", retire=(), create=(), owners=None
):
    """One dated remembrement or residentialisation: from `effective_date` the parcels `retire` (refs) no
    longer exist, the parcels `create` ({"ref", "geometry", "domain", "owner"}) do, and `owners` ({ref:
    Organisation or None}) own the parcels named. Entered ahead of its date, it changes nothing before."""
    _check(may_record_land_operation(acting_user), _("You may not record land operations."))
    owners = dict(owners or {})
    if kind not in LandOperationKind.values:
        _refuse("kind", _("Choose remembrement or residentialisation."))
    if not (name or "").strip():
        _refuse("name", _("Give the operation a name."))
    if effective_date is None:
        _refuse("effective_date", _("Give the date from which the operation applies."))
    if not (retire or create or owners):
        _refuse("parcels_after", _("An operation changes at least one parcel or one owner."))
    with transaction.atomic():
        retired = list(Parcel.objects.select_for_update().filter(ref__in=list(retire)))
        missing = sorted(set(retire) - {p.ref for p in retired})
        if missing:
            _refuse("parcels_before", _("Unknown parcel %(ref)s.") % {"ref": missing[0]})
        for parcel in retired:
            if not land.exists_on(parcel, effective_date):
                _refuse(
                    "parcels_before",
                    _("Parcel %(ref)s does not exist on %(day)s.")
                    % {"ref": parcel.ref, "day": effective_date.isoformat()},
                )
        new_refs = [item["ref"] for item in create]
        taken = sorted(set(Parcel.objects.filter(ref__in=new_refs).values_list("ref", flat=True)))
        if taken or len(set(new_refs)) != len(new_refs):
            _refuse("parcels_after", _("Parcel %(ref)s already exists.") % {"ref": (taken or new_refs)[0]})
        operation = LandOperation.objects.create(
            kind=kind,
            name=name.strip()[:200],
            project=(project or "").strip()[:200],
            effective_date=effective_date,
            parcels_before=sorted(retire),
            parcels_after=sorted(new_refs),
        )
        bboxes = []
        for parcel in retired:
            parcel.valid_until = effective_date
            parcel.save(update_fields=["valid_until"])
            bboxes.append((parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat))
        for item in create:
            parcel = Parcel(
                ref=item["ref"],
                geometry=item["geometry"],
                domain=item.get("domain") or Domain.PRIVATE,
                owner=item.get("owner"),
                valid_from=effective_date,
            )
            try:
                _set_geometry(parcel)
            except geo.GeometryError as exc:
                _refuse("parcels_after", _("Parcel %(ref)s: %(reason)s") % {"ref": parcel.ref, "reason": exc})
            parcel.save()
            ParcelOwnership.objects.create(
                parcel=parcel,
                owner=item.get("owner"),
                valid_from=effective_date,
                source=OwnershipSource.OPERATION,
                operation=operation,
            )
            bboxes.append((parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat))
        by_ref = {p.ref: p for p in Parcel.objects.filter(ref__in=list(owners))}
        for ref, owner in sorted(owners.items()):
            if ref in new_refs:
                continue
            if ref not in by_ref:
                _refuse("owners", _("Unknown parcel %(ref)s.") % {"ref": ref})
            parcel = by_ref[ref]
            do_change_parcel_owner(
                parcel,
                owner,
                on=effective_date,
                acting_user=acting_user,
                source=OwnershipSource.OPERATION,
                operation=operation,
                recompute=False,
            )
            bboxes.append((parcel.min_lon, parcel.min_lat, parcel.max_lon, parcel.max_lat))
        if effective_date <= land.as_day():
            operation.applied_at = timezone.now()
            operation.save(update_fields=["applied_at"])
        changed = delegation.recompute_for_parcel_bboxes(*bboxes)
        LayerVersion.bump(LayerVersion.TERRITORY)
        _land_change(
            "land_operation_recorded",
            f"land-operation:{operation.pk}",
            acting_user,
            kind=kind,
            name=operation.name,
            effective_date=effective_date.isoformat(),
            parcels_before=operation.parcels_before,
            parcels_after=operation.parcels_after,
            owners={ref: (owner.code if owner else None) for ref, owner in sorted(owners.items())},
            delegations_changed=changed,
        )
    return operation


def may_save_siren_mapping(acting_user):
    return _may(acting_user, "directory.add_sirenmapping", "directory.change_sirenmapping")


def do_save_siren_mapping(siren, organisation, *, acting_user, note=""):
    """SIREN -> organisation; the owner periods filed under that SIREN get the organisation as owner."""
    _check(may_save_siren_mapping(acting_user), _("You may not map SIRENs."))
    siren = (siren or "").replace(" ", "")
    if len(siren) != 9 or not siren.isdigit():
        _refuse("siren", _("A SIREN has 9 digits."))
    with transaction.atomic():
        mapping = SirenMapping.objects.select_for_update().filter(siren=siren).first()
        old = mapping.organisation_id if mapping else None
        if mapping is None:
            mapping = SirenMapping(siren=siren)
        mapping.organisation, mapping.note = organisation, note[:300]
        mapping.save()
        periods = ParcelOwnership.objects.filter(siren=siren).exclude(owner=organisation)
        parcel_ids = list(periods.values_list("parcel_id", flat=True))
        periods.update(owner=organisation)
        parcels = list(Parcel.objects.filter(pk__in=parcel_ids))
        for parcel in parcels:
            land.refresh_current_owner(parcel)
        changed = delegation.recompute_for_parcel_bboxes(
            *[(p.min_lon, p.min_lat, p.max_lon, p.max_lat) for p in parcels]
        )
        if parcels:
            LayerVersion.bump(LayerVersion.TERRITORY)
        _land_change(
            "siren_mapped",
            f"siren:{siren}",
            acting_user,
            old_organisation=old,
            new_organisation=organisation.pk,
            parcels=len(parcels),
            delegations_changed=changed,
        )
    return mapping


# --- open land data --------------------------------------------------------------------------------


def do_import_cadastre(fileobj, *, acting_user, owners_file=None, dry_run=False, stream=None, source=""):
    """Import Etalab parcels and DGFiP owners, all or nothing, with one audit entry (none for a dry run)."""
    from directory import opendata

    _check(may_import_layer(acting_user, PARCELS), _("You may not import territory layers."))
    with transaction.atomic():
        report = opendata.import_cadastre(fileobj, owners_file=owners_file, dry_run=dry_run, stream=stream)
        if not dry_run:
            _land_change(
                "cadastre_imported",
                "layer:parcels",
                acting_user,
                source=source[:200],
                communes=report.communes,
                unmapped_sirens=len(report.unmapped),
                subsectors=[item["code"] for item in report.subsectors_changed],
                **report.counts(),
            )
    return report


def do_import_open_layer(kind, fileobj, *, acting_user, dry_run=False, stream=None, source=""):
    """The ANCT QPV file or the geo API communes, into their layer (updated in place); (result, skipped)."""
    import json

    from directory import opendata
    from directory.models import Layer

    layer = Layer.QPV if kind == "qpv" else Layer.COMMUNES
    _check(may_import_layer(acting_user, layer), _("You may not import territory layers."))
    collection, skipped = (opendata.qpv_collection if kind == "qpv" else opendata.communes_collection)(
        fileobj
    )
    with transaction.atomic():
        result = do_import_layer(
            layer, json.dumps(collection), acting_user=acting_user, replace=True, stream=stream, source=source
        )
        if dry_run:
            transaction.set_rollback(True)
    return result, skipped
