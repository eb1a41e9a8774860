"""The content of a draft version: its zones, split rows, pooled means and service-level overrides
(actions, each with its check, audit entry and validation before any write)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from directory import geo
from directory.models import Organisation, Unit, validate_month_day
from engine.errors import InvalidFields
from procedures.models import Category, CategoryGroup, Urgency
from procedures.sectors import perimeter as perimeters
from procedures.sectors.actions import _check_draft, _check_editor, _decimal, _has_people, _text, audit
from procedures.sectors.models import (
    CapacityUnit,
    FundingShare,
    PooledMeans,
    SectorSplitRow,
    SectorZone,
    ServiceLevelOverride,
)


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


def do_remove_pooled_means(means, *, acting_user):
    """Remove pooled means (and their funding shares) from a draft version."""
    _check_editor(acting_user)
    _check_draft(means.version)
    with transaction.atomic():
        version, organisation = means.version, means.organisation.code
        try:
            means.delete()
        except ProtectedError:  # time already recorded against them: never in a draft, but say so
            raise InvalidFields(
                {"means": _("Time was recorded against these pooled means: they cannot be removed.")}
            ) from None
        audit(
            version.procedure,
            "pooled_means_removed",
            acting_user,
            version=version.number,
            organisation=organisation,
        )


def do_remove_service_level_override(override, *, acting_user):
    _check_editor(acting_user)
    _check_draft(override.version)
    with transaction.atomic():
        version = override.version
        described = {
            "category": getattr(override.category, "code", None),
            "urgency": override.urgency,
            "acknowledge_hours": override.acknowledge_hours,
            "resolve_hours": override.resolve_hours,
        }
        override.delete()
        audit(version.procedure, "override_removed", acting_user, version=version.number, **described)


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
