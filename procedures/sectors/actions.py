"""The write path of sub-sector procedures: the procedure, its draft versions and their content.

Each ``do_<verb>_<noun>(..., *, acting_user)`` runs in one transaction, checks its ``may_<verb>_<noun>``
(refused: RoleNotAllowed), validates everything before writing anything (InvalidFields naming the field,
in French), writes one ``SectorAuditEntry`` and queues an outbox event (``sector.*``). Approvals are in
``approvals.py``, evaluations in ``evaluations.py``.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from directory import geo
from directory.models import LayerVersion, Organisation, Parcel, Perimeter, Unit, validate_month_day
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import ProcedureVersion, VersionStatus
from engine.outbox import emit
from procedures.attributes import parse_number
from procedures.models import Category, CategoryGroup, Urgency
from procedures.scope import is_administrator
from procedures.sectors import perimeter as perimeters
from procedures.sectors.models import (
    CapacityUnit,
    FundingShare,
    PerimeterSource,
    PooledMeans,
    SectorAuditEntry,
    SectorPartner,
    SectorProcedure,
    SectorSplitRow,
    SectorVersion,
    SectorVersionStatus,
    SectorZone,
    ServiceLevelOverride,
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


def do_add_sector_zone(version, *, acting_user, name, geometry):
    _check_editor(acting_user)
    _check_draft(version)
    errors = {}
    name = _text(name, "name", errors, limit=200, required=True)
    if name and version.zones.filter(name=name).exists():
        errors["name"] = _("This version already has a zone with this name.")
    shape = None
    try:
        shape = perimeters.parse_geojson(geometry, "geometry")
    except InvalidFields as exc:
        errors.update(exc.errors)
    if shape is not None and not version.geometry:
        errors["geometry"] = _("Set the perimeter before its zones.")
    elif shape is not None and geo.area_m2(shape.difference(version.shape())) > perimeters.TOLERANCE_M2:
        errors["geometry"] = _("The zone goes outside the procedure's perimeter.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        zone = SectorZone(version=version, name=name)
        zone.set_geometry(perimeters.as_geojson(shape))
        zone.area_m2 = round(geo.area_m2(shape), 2)
        zone.save()
        audit(
            version.procedure,
            "zone_added",
            acting_user,
            version=version.number,
            zone=name,
            area_m2=zone.area_m2,
        )
    return zone


def do_remove_sector_zone(zone, *, acting_user):
    _check_editor(acting_user)
    _check_draft(zone.version)
    with transaction.atomic():
        name, version = zone.name, zone.version
        zone.delete()
        audit(version.procedure, "zone_removed", acting_user, version=version.number, zone=name)


def _unit_with_people(unit, field, errors):
    if not isinstance(unit, Unit):
        unit = Unit.objects.filter(pk=unit).first() if unit else None
    if unit is None:
        errors[field] = _("Choose the unit that acts.")
    elif not _has_people(unit):
        errors[field] = _("%(unit)s has nobody to act: add its people in the directory first.") % {
            "unit": unit.name
        }
    return unit


def do_add_split_row(
    version,
    *,
    acting_user,
    unit,
    category=None,
    category_group=None,
    zone=None,
    season_start="",
    season_end="",
    what="",
):
    """Add a row of the split: (category or group, optional zone, optional season) -> the unit that acts."""
    _check_editor(acting_user)
    _check_draft(version)
    errors = {}
    if isinstance(category, str):
        category = Category.objects.filter(code=category).first() or errors.setdefault(
            "category", _("Unknown category.")
        )
    if isinstance(category_group, str):
        category_group = CategoryGroup.objects.filter(code=category_group).first() or errors.setdefault(
            "category_group", _("Unknown category group.")
        )
    if isinstance(category, str) or isinstance(category_group, str):
        category = category if isinstance(category, Category) else None
        category_group = category_group if isinstance(category_group, CategoryGroup) else None
    elif bool(category) == bool(category_group):
        errors["category"] = _("Choose a category or a category group (one of the two).")
    if zone is not None and zone.version_id != version.pk:
        errors["zone"] = _("This zone belongs to another version.")
    season_start, season_end = (season_start or "").strip(), (season_end or "").strip()
    for name, value in (("season_start", season_start), ("season_end", season_end)):
        if value:
            try:
                validate_month_day(value)
            except ValidationError as exc:
                errors[name] = " ".join(exc.messages)
    if bool(season_start) != bool(season_end):
        errors["season_end"] = _("A season needs both its start and its end.")
    unit = _unit_with_people(unit, "unit", errors)
    what = _text(what, "what", errors, limit=300)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        row = SectorSplitRow.objects.create(
            version=version,
            category=category,
            category_group=category_group,
            zone=zone,
            season_start=season_start,
            season_end=season_end,
            unit=unit,
            what=what,
        )
        audit(
            version.procedure,
            "split_row_added",
            acting_user,
            version=version.number,
            row=row.pk,
            category=getattr(category, "code", None),
            group=getattr(category_group, "code", None),
            zone=getattr(zone, "name", None),
            unit=unit.code,
            season=[season_start, season_end],
            what=what,
        )
    return row


def do_remove_split_row(row, *, acting_user):
    _check_editor(acting_user)
    _check_draft(row.version)
    with transaction.atomic():
        version, pk = row.version, row.pk
        row.delete()
        audit(version.procedure, "split_row_removed", acting_user, version=version.number, row=pk)


def do_set_pooled_means(
    version,
    *,
    acting_user,
    organisation,
    unit,
    yearly_capacity,
    funding,
    capacity_unit=CapacityUnit.HOURS,
    categories=(),
):
    """Add pooled means (a régie) with its yearly capacity, the categories it takes and its funding shares
    ({organisation: percent}), which must sum to exactly 100."""
    _check_editor(acting_user)
    _check_draft(version)
    errors = {}
    unit = _unit_with_people(unit, "unit", errors)
    if (
        unit is not None
        and isinstance(organisation, Organisation)
        and unit.organisation_id != organisation.pk
    ):
        errors["unit"] = _("The unit must belong to the organisation of the pooled means.")
    capacity = _decimal(yearly_capacity, "yearly_capacity", errors)
    if capacity is not None and capacity <= 0:
        errors["yearly_capacity"] = _("The yearly capacity must be more than zero.")
    if capacity_unit not in CapacityUnit.values:
        errors["capacity_unit"] = _("Choose hours or interventions.")
    shares = {}
    for funder, pct in (funding or {}).items():
        value = _decimal(pct, "funding", errors)
        if value is not None and not (0 < value <= 100):
            errors["funding"] = _("Each funding share is more than 0 and at most 100 %.")
        shares[funder] = value
    if "funding" not in errors:
        total = sum(shares.values(), Decimal(0))
        if total != Decimal(100):
            errors["funding"] = _("The funding shares add up to %(total)s %%, not 100 %%.") % {
                "total": f"{total.normalize():f}".replace(".", ",")
            }
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        means = PooledMeans.objects.create(
            version=version,
            organisation=organisation,
            unit=unit,
            yearly_capacity=capacity,
            capacity_unit=capacity_unit,
        )
        means.categories.set(list(categories))
        for funder, value in shares.items():
            FundingShare.objects.create(means=means, organisation=funder, share_pct=value)
        audit(
            version.procedure,
            "pooled_means_set",
            acting_user,
            version=version.number,
            organisation=organisation.code,
            capacity=str(capacity),
            capacity_unit=capacity_unit,
            funding={funder.code: str(value) for funder, value in shares.items()},
        )
    return means


def do_add_service_level_override(
    version, *, acting_user, acknowledge_hours, resolve_hours, category=None, urgency=""
):
    _check_editor(acting_user)
    _check_draft(version)
    errors = {}
    values = {}
    for name, value in (("acknowledge_hours", acknowledge_hours), ("resolve_hours", resolve_hours)):
        try:
            values[name] = int(value)
            if values[name] <= 0:
                raise ValueError
        except (TypeError, ValueError):
            errors[name] = _("Enter a whole number of business hours, more than zero.")
    if not errors and values["acknowledge_hours"] > values["resolve_hours"]:
        errors["resolve_hours"] = _("The resolve target cannot be shorter than the acknowledge target.")
    if urgency and urgency not in Urgency.values:
        errors["urgency"] = _("Choose normal or urgent.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        override = ServiceLevelOverride.objects.create(
            version=version, category=category, urgency=urgency or "", **values
        )
        audit(
            version.procedure,
            "override_added",
            acting_user,
            version=version.number,
            category=getattr(category, "code", None),
            urgency=urgency,
            **values,
        )
    return override


# --- a new version of an active procedure -------------------------------------------------------------


def do_open_sector_version(procedure, *, acting_user, effective_from, reason=""):
    """Open a new draft version, a copy of the latest version, to take effect at ``effective_from``."""
    _check_editor(acting_user)
    errors = {}
    effective_from = _date(effective_from, "effective_from", errors)
    if effective_from and effective_from < timezone.localdate():
        errors["effective_from"] = _("A new version cannot take effect in the past.")
    if procedure.versions.filter(
        status__in=[SectorVersionStatus.DRAFT, SectorVersionStatus.IN_APPROVAL]
    ).exists():
        errors["effective_from"] = _("A version of this procedure is already being prepared.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        return _copy_version(
            procedure.versions.order_by("-number").first(), acting_user, effective_from, reason
        )


def _copy_version(source, acting_user, effective_from, reason=""):
    values = SectorVersion.objects.filter(pk=source.pk).values().get()
    for name in ("id", "status", "submitted_at", "activated_at", "ended_at"):
        values.pop(name)
    values.update(
        number=source.number + 1,
        effective_from=effective_from,
        created_by=acting_user,
        created_at=timezone.now(),
    )
    values.pop("created_by_id")
    SectorVersion.objects.create(**values)  # a new draft (the status field is protected: never assigned)
    copy = SectorVersion.objects.get(procedure=source.procedure, number=source.number + 1)
    copy.subsectors.set(source.subsectors.all())
    copy.parcels.set(source.parcels.all())
    for partner in source.partners.all():
        SectorPartner.objects.create(
            version=copy, organisation=partner.organisation, referent=partner.referent, role=partner.role
        )
    zones = {}
    for zone in source.zones.all():
        zones[zone.pk] = SectorZone.objects.create(
            version=copy,
            name=zone.name,
            geometry=zone.geometry,
            min_lon=zone.min_lon,
            min_lat=zone.min_lat,
            max_lon=zone.max_lon,
            max_lat=zone.max_lat,
            area_m2=zone.area_m2,
        )
    for row in source.split_rows.all():
        SectorSplitRow.objects.create(
            version=copy,
            category_id=row.category_id,
            category_group_id=row.category_group_id,
            zone=zones.get(row.zone_id),
            season_start=row.season_start,
            season_end=row.season_end,
            unit_id=row.unit_id,
            what=row.what,
        )
    for means in source.pooled_means.all():
        new = PooledMeans.objects.create(
            version=copy,
            organisation_id=means.organisation_id,
            unit_id=means.unit_id,
            yearly_capacity=means.yearly_capacity,
            capacity_unit=means.capacity_unit,
        )
        new.categories.set(means.categories.all())
        for share in means.funding.all():
            FundingShare.objects.create(
                means=new, organisation_id=share.organisation_id, share_pct=share.share_pct
            )
    for override in source.overrides.all():
        ServiceLevelOverride.objects.create(
            version=copy,
            category_id=override.category_id,
            urgency=override.urgency,
            acknowledge_hours=override.acknowledge_hours,
            resolve_hours=override.resolve_hours,
        )
    audit(
        source.procedure,
        "version_opened",
        acting_user,
        version=copy.number,
        copied_from=source.number,
        effective_from=str(effective_from),
        reason=reason[:500],
    )
    event("version_opened", procedure=source.procedure.code, version=copy.number)
    return copy


# --- suspend, resume, end --------------------------------------------------------------------------


def _lifecycle(version, method, event_name, acting_user):
    _check_editor(acting_user)
    with transaction.atomic():
        version = SectorVersion.objects.select_for_update().get(pk=version.pk)
        transition = getattr(version, method)
        from django_fsm import can_proceed

        if not can_proceed(transition):
            raise InvalidFields({"status": _("This is not possible in the version's current state.")})
        old = version.status
        transition()
        if method == "end":
            version.ended_at = timezone.now()
        version.save()
        audit(version.procedure, event_name, acting_user, version=version.number, old=old, new=version.status)
        event(event_name, procedure=version.procedure.code, version=version.number)
        routing_changed()
    return version


def do_suspend_sector_version(version, *, acting_user):
    return _lifecycle(version, "suspend", "version_suspended", acting_user)


def do_resume_sector_version(version, *, acting_user):
    return _lifecycle(version, "resume", "version_resumed", acting_user)


def do_end_sector_version(version, *, acting_user):
    return _lifecycle(version, "end", "version_ended", acting_user)


def end_superseded_versions(now=None):
    """Worker job: an active version whose successor has taken effect is ended (compare-and-set)."""
    today = timezone.localdate(now or timezone.now())
    ended = 0
    for version in SectorVersion.objects.filter(status=SectorVersionStatus.ACTIVE).select_related(
        "procedure"
    ):
        newer = SectorVersion.objects.filter(
            procedure_id=version.procedure_id,
            status=SectorVersionStatus.ACTIVE,
            number__gt=version.number,
            effective_from__lte=today,
        ).exists()
        if newer and SectorVersion.objects.filter(pk=version.pk, status=SectorVersionStatus.ACTIVE).update(
            status=SectorVersionStatus.ENDED, ended_at=timezone.now()
        ):
            audit(version.procedure, "version_superseded", None, version=version.number)
            ended += 1
    if ended:
        routing_changed()
    return ended


def reminder_delay():
    return datetime.timedelta(days=settings.GUP_SECTOR_REMINDER_DAYS)
