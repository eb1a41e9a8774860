"""Versions of a sector procedure: a new draft version copied from the latest, and the lifecycle of a
version (suspend, resume, end; superseded versions ended by the worker)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.errors import InvalidFields
from procedures.sectors.actions import _check_editor, _date, audit, event, routing_changed
from procedures.sectors.models import (
    FundingShare,
    PooledMeans,
    SectorPartner,
    SectorSplitRow,
    SectorVersion,
    SectorVersionStatus,
    SectorZone,
    ServiceLevelOverride,
)

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
