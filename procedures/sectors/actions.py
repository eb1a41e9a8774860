"""The write path of sub-sector procedures: the procedure, its draft versions and their content.

Each ``do_<verb>_<noun>(..., *, acting_user)`` runs in one transaction, checks its ``may_<verb>_<noun>``
(refused: RoleNotAllowed), validates everything before writing anything (InvalidFields naming the field,
in French), writes one ``SectorAuditEntry`` and queues an outbox event (``sector.*``). Approvals are in
``approvals.py``, evaluations in ``evaluations.py``.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from directory import geo
from directory.models import LayerVersion, Organisation, Parcel, Perimeter
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import ProcedureVersion, VersionStatus
from engine.outbox import emit
from procedures.attributes import parse_number
from procedures.scope import is_administrator
from procedures.sectors import perimeter as perimeters
from procedures.sectors.models import (
    PerimeterSource,
    SectorAuditEntry,
    SectorPartner,
    SectorProcedure,
    SectorVersion,
    SectorVersionStatus,
)

SECTOR_STAMP = "sectors"  # LayerVersion counter bumped when the set of active versions changes


def audit(procedure, event, acting_user, **data):
    return SectorAuditEntry.objects.create(procedure=procedure, event=event, actor=acting_user, data=data)


def event(kind, **payload):
    emit(f"sector.{kind}", case_id=None, payload=payload)


def routing_changed():
    """The sector routing index (procedures.sectors.routing) is rebuilt at its next use, in every process."""
    LayerVersion.bump(SECTOR_STAMP)


def _check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def may_edit_sector_procedure(acting_user):
    return acting_user is None or (acting_user.is_active and is_administrator(acting_user))


def _check_editor(acting_user):
    _check(may_edit_sector_procedure(acting_user), _("Only administrators may edit sub-sector procedures."))


def _check_draft(version):
    if version.status != SectorVersionStatus.DRAFT:
        raise InvalidFields({"status": _("Only a draft version can be changed; open a new version instead.")})


def _date(value, field, errors, required=True):
    if value in (None, ""):
        if required:
            errors[field] = _("This date is required.")
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors[field] = _("Enter a date as YYYY-MM-DD.")
        return None


def _decimal(value, field, errors):
    try:
        number = (
            value
            if isinstance(value, Decimal)
            else Decimal(str(parse_number(value)) if not isinstance(value, int) else value)
        )
    except (ValueError, InvalidOperation, TypeError):
        errors[field] = _("Expected a number, with a point or a comma before the decimals.")
        return None
    return number


def _text(value, field, errors, limit=2000, required=False):
    value = (value or "").strip() if isinstance(value, str) else ""
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > limit:
        errors[field] = _("At most %(n)d characters.") % {"n": limit}
    return value


def _has_people(unit):
    return unit.members.filter(is_active=True).exists()


def _published_version(value, errors):
    if value is None or value == "":
        return None
    version = (
        value if isinstance(value, ProcedureVersion) else ProcedureVersion.objects.filter(pk=value).first()
    )
    if version is None or version.status != VersionStatus.PUBLISHED:
        errors["intervention_version"] = _("Choose a published version of a procedure.")
        return None
    return version


# --- partners ---------------------------------------------------------------------------------------


def _partners(partners, errors):
    """[(organisation, referent user, role text)] checked: a referent per partner, of that organisation."""
    cleaned, seen = [], set()
    for position, item in enumerate(partners or ()):
        organisation, referent = item[0], item[1]
        role = item[2] if len(item) > 2 else ""
        if not isinstance(organisation, Organisation) or referent is None:
            errors["partners"] = _("Each partner needs its organisation and its referent.")
            continue
        if referent.organisation_id != organisation.pk:
            errors["partners"] = _(
                "%(person)s does not act for %(org)s: choose a referent of that partner."
            ) % {
                "person": referent.get_full_name() or referent.username,
                "org": organisation.name,
            }
            continue
        if organisation.pk in seen:
            errors["partners"] = _("%(org)s is named twice among the partners.") % {"org": organisation.name}
            continue
        seen.add(organisation.pk)
        cleaned.append((organisation, referent, (role or "")[:200], position))
    if not cleaned and "partners" not in errors:
        errors["partners"] = _("Name at least one partner with its referent.")
    return cleaned


# --- procedure and version ----------------------------------------------------------------------------


def do_create_sector_procedure(
    *,
    acting_user,
    code,
    title,
    starts_on,
    evaluation_month,
    partners,
    description="",
    goals="",
    ends_on=None,
    effective_from=None,
    project_lead=None,
    intervention_version=None,
    geometry=None,
):
    """Create a procedure and its version 1 (draft), with its partners, and its perimeter when a GeoJSON
    ``geometry`` is given (all or nothing: a refused perimeter creates nothing)."""
    _check_editor(acting_user)
    errors = {}
    code = _text(code, "code", errors, limit=64, required=True)
    if code and SectorProcedure.objects.filter(code=code).exists():
        errors["code"] = _("A sub-sector procedure already has this code.")
    title = _text(title, "title", errors, limit=200, required=True)
    description = _text(description, "description", errors, limit=5000)
    goals = _text(goals, "goals", errors, limit=5000)
    starts_on = _date(starts_on, "starts_on", errors)
    ends_on = _date(ends_on, "ends_on", errors, required=False)
    effective_from = _date(effective_from, "effective_from", errors, required=False) or starts_on
    if starts_on and ends_on and ends_on <= starts_on:
        errors["ends_on"] = _("The experiment must end after it starts.")
    try:
        evaluation_month = int(evaluation_month)
        if not 1 <= evaluation_month <= 12:
            raise ValueError
    except (TypeError, ValueError):
        errors["evaluation_month"] = _("Choose a month between 1 and 12.")
    cleaned = _partners(partners, errors)
    intervention_version = _published_version(intervention_version, errors)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        procedure = SectorProcedure.objects.create(
            code=code, title=title, author=acting_user, project_lead=project_lead or acting_user
        )
        version = SectorVersion(
            procedure=procedure,
            number=1,
            description=description,
            goals=goals,
            starts_on=starts_on,
            ends_on=ends_on,
            effective_from=effective_from,
            evaluation_month=evaluation_month,
            intervention_version=intervention_version,
            created_by=acting_user,
            geometry={},
            min_lon=0,
            min_lat=0,
            max_lon=0,
            max_lat=0,
        )
        version.save()
        for organisation, referent, role, _position in cleaned:
            SectorPartner.objects.create(
                version=version, organisation=organisation, referent=referent, role=role
            )
        audit(
            procedure,
            "procedure_created",
            acting_user,
            version=1,
            title=title,
            partners=[organisation.code for organisation, *_rest in cleaned],
        )
        event("procedure_created", procedure=procedure.code, version=1)
        if geometry is not None:
            do_set_sector_perimeter(version, acting_user=acting_user, geometry=geometry)
    return version


def do_change_sector_version(version, *, acting_user, **fields):
    """Change the text, dates, evaluation month or intervention procedure of a draft version."""
    _check_editor(acting_user)
    _check_draft(version)
    errors, changes = {}, {}
    for name in ("description", "goals"):
        if name in fields:
            changes[name] = _text(fields[name], name, errors, limit=5000)
    for name, required in (("starts_on", True), ("ends_on", False), ("effective_from", True)):
        if name in fields:
            changes[name] = _date(fields[name], name, errors, required=required)
    if "evaluation_month" in fields:
        try:
            changes["evaluation_month"] = int(fields["evaluation_month"])
            if not 1 <= changes["evaluation_month"] <= 12:
                raise ValueError
        except (TypeError, ValueError):
            errors["evaluation_month"] = _("Choose a month between 1 and 12.")
    if "intervention_version" in fields:
        changes["intervention_version"] = _published_version(fields["intervention_version"], errors)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        old = {name: str(getattr(version, name)) for name in changes}
        for name, value in changes.items():
            setattr(version, name, value)
        version.save()
        audit(
            version.procedure,
            "version_changed",
            acting_user,
            version=version.number,
            old=old,
            new={name: str(value) for name, value in changes.items()},
        )
    return version


def do_set_sector_partners(version, partners, *, acting_user):
    _check_editor(acting_user)
    _check_draft(version)
    errors = {}
    cleaned = _partners(partners, errors)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        version.partners.all().delete()
        for organisation, referent, role, _position in cleaned:
            SectorPartner.objects.create(
                version=version, organisation=organisation, referent=referent, role=role
            )
        audit(
            version.procedure,
            "partners_set",
            acting_user,
            version=version.number,
            partners=[organisation.code for organisation, *_rest in cleaned],
        )
    return version


def do_set_sector_perimeter(
    version, *, acting_user, subsectors=None, geometry=None, parcels=None, owner=None
):
    """Set the perimeter from sub-sectors, a drawn or imported GeoJSON polygon, or a landlord's parcels (one
    of the three); checks it lies in the territory and overlaps no other active procedure, and recomputes
    its land shares and delegated manager."""
    _check_editor(acting_user)
    _check_draft(version)
    given = [
        name
        for name, value in (("subsectors", subsectors), ("geometry", geometry), ("parcels", parcels))
        if value is not None
    ]
    if len(given) != 1:
        raise InvalidFields(
            {"perimeter": _("Give the perimeter one way: sub-sectors, a polygon or parcels.")}
        )
    source = given[0]
    if source == "subsectors":
        subsectors = [
            s if isinstance(s, Perimeter) else Perimeter.objects.filter(pk=s).first() for s in subsectors
        ]
        if None in subsectors:
            raise InvalidFields({"subsectors": _("Unknown sub-sector.")})
        shape = perimeters.shape_from_subsectors(subsectors)
    elif source == "parcels":
        parcels = [p if isinstance(p, Parcel) else Parcel.objects.filter(ref=p).first() for p in parcels]
        if None in parcels:
            raise InvalidFields({"parcels": _("Unknown parcel.")})
        shape = perimeters.shape_from_parcels(parcels, owner)
    else:
        shape = perimeters.parse_geojson(geometry, "geometry")
    field = source
    perimeters.check_inside_territory(shape, field)
    perimeters.check_no_overlap(version, shape, field)
    outside = [zone.name for zone in version.zones.all() if geo.area_m2(zone.shape().difference(shape)) > 1]
    if outside:
        raise InvalidFields(
            {
                field: _("These zones would be outside the perimeter: %(zones)s.")
                % {"zones": ", ".join(outside)}
            }
        )
    shares, land_area, manager_id = perimeters.land_shares(shape, version.delegation_threshold_pct)
    with transaction.atomic():
        version.set_geometry(perimeters.as_geojson(shape))
        version.area_m2 = round(geo.area_m2(shape), 2)
        version.perimeter_source = {
            "subsectors": PerimeterSource.SUBSECTORS,
            "parcels": PerimeterSource.PARCELS,
            "geometry": PerimeterSource.DRAWN,
        }[source]
        version.land_shares, version.land_area_m2, version.delegated_manager_id = (
            shares,
            land_area,
            manager_id,
        )
        version.save()
        version.subsectors.set(subsectors if source == "subsectors" else [])
        version.parcels.set(parcels if source == "parcels" else [])
        audit(
            version.procedure,
            "perimeter_set",
            acting_user,
            version=version.number,
            source=source,
            area_m2=version.area_m2,
            delegated_manager=manager_id,
        )
    return version


def do_recompute_sector_shares(version, *, acting_user):
    """Recompute land shares and the delegated manager after the parcels changed (any state)."""
    _check_editor(acting_user)
    if not version.geometry:
        return False
    shares, land_area, manager_id = perimeters.land_shares(version.shape(), version.delegation_threshold_pct)
    if (shares, land_area, manager_id) == (
        version.land_shares,
        version.land_area_m2,
        version.delegated_manager_id,
    ):
        return False
    with transaction.atomic():
        old = version.delegated_manager_id
        SectorVersion.objects.filter(pk=version.pk).update(
            land_shares=shares, land_area_m2=land_area, delegated_manager_id=manager_id
        )
        version.land_shares, version.land_area_m2, version.delegated_manager_id = (
            shares,
            land_area,
            manager_id,
        )
        audit(
            version.procedure,
            "shares_recomputed",
            acting_user,
            version=version.number,
            old_manager=old,
            new_manager=manager_id,
        )
        if version.status == SectorVersionStatus.ACTIVE:
            routing_changed()
    return True


# The rest of the write path, by noun (re-exported here: one module to call for every action).
from procedures.sectors.content import (  # noqa: E402
    do_add_sector_zone,
    do_add_service_level_override,
    do_add_split_row,
    do_remove_pooled_means,
    do_remove_sector_zone,
    do_remove_service_level_override,
    do_remove_split_row,
    do_set_pooled_means,
)
from procedures.sectors.versions import (  # noqa: E402
    _copy_version,
    do_end_sector_version,
    do_open_sector_version,
    do_resume_sector_version,
    do_suspend_sector_version,
    end_superseded_versions,
)

__all__ = [
    "_copy_version",
    "do_add_sector_zone",
    "do_add_service_level_override",
    "do_add_split_row",
    "do_change_sector_version",
    "do_create_sector_procedure",
    "do_end_sector_version",
    "do_open_sector_version",
    "do_recompute_sector_shares",
    "do_remove_pooled_means",
    "do_remove_sector_zone",
    "do_remove_service_level_override",
    "do_remove_split_row",
    "do_resume_sector_version",
    "do_set_pooled_means",
    "do_set_sector_partners",
    "do_set_sector_perimeter",
    "do_suspend_sector_version",
    "end_superseded_versions",
    "may_edit_sector_procedure",
]
