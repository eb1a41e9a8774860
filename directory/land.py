"""Dated ownership, read side: who owned a parcel on a day, and which parcels existed then.

A parcel without any ownership period is owned by `Parcel.owner` at every date (the layers imported
before dated ownership); once it has periods, they alone say who owned it when (a day no period covers:
no known organisation owns it). `Parcel.owner` stays the owner *today*, kept up to date by the actions and,
for changes entered ahead of their date, by the job `directory.land.apply_due_land_changes`.
"""

import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from directory.models import LandOperation, LayerVersion, Parcel, ParcelOwnership

FAR_PAST = datetime.date.min
FAR_FUTURE = datetime.date.max


def as_day(value=None):
    """A date from a date, an aware datetime (local date) or None (today)."""
    if value is None:
        return timezone.localdate()
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def exists_on(parcel, day):
    return (parcel.valid_from is None or parcel.valid_from <= day) and (
        parcel.valid_until is None or day < parcel.valid_until
    )


def covering(periods, day):
    return next((p for p in periods if p.covers(day)), None)


def owner_id_on(parcel, periods, day):
    """The owner organisation's id on `day` (None: private or unknown), `periods` being the parcel's."""
    if not periods:
        return parcel.owner_id
    period = covering(periods, day)
    return period.owner_id if period else None


def overlapping(periods, valid_from, valid_until, exclude=None):
    """The first of `periods` that overlaps [valid_from, valid_until), or None."""
    start, end = valid_from or FAR_PAST, valid_until or FAR_FUTURE
    for period in periods:
        if exclude is not None and period.pk == exclude:
            continue
        if (period.valid_from or FAR_PAST) < end and start < (period.valid_until or FAR_FUTURE):
            return period
    return None


def periods_of(parcel):
    return list(ParcelOwnership.objects.filter(parcel=parcel).select_related("owner"))


def change_dates(parcels_with_periods, after):
    """The dates after `after` at which any of these parcels changes owner or appears or disappears."""
    dates = set()
    for parcel, periods in parcels_with_periods:
        for value in (parcel.valid_from, parcel.valid_until):
            if value is not None and value > after:
                dates.add(value)
        for period in periods:
            for value in (period.valid_from, period.valid_until):
                if value is not None and value > after:
                    dates.add(value)
    return sorted(dates)


def refresh_current_owner(parcel, today=None):
    """Bring `Parcel.owner` to the owner of today (compare-and-set); returns whether it changed."""
    today = today or timezone.localdate()
    owner_id = owner_id_on(parcel, periods_of(parcel), today)
    if owner_id == parcel.owner_id:
        return False
    updated = Parcel.objects.filter(pk=parcel.pk, owner_id=parcel.owner_id).update(owner_id=owner_id)
    if updated:
        parcel.owner_id = owner_id
    return bool(updated)


# How far back the job looks for periods that started without the current owner being updated (a worker
# stopped for longer than this needs `manage.py apply_land_changes --since`).
CATCH_UP_DAYS = 31
_checked = {"key": None}


def apply_due_land_changes(since=None):
    """Worker job: once their date has come, changes entered ahead of it become the current owners and the
    sub-sectors they touch get their shares recomputed. Safe in several workers: each operation is
    claimed with a compare-and-set update, each parcel's owner is updated with one. Returns the number of
    parcels whose current owner changed."""
    from directory import delegation

    today = timezone.localdate()
    # The scan of the day's periods is needed once per day and territory version: a change recorded for
    # a past or present day updates today's owner at once, only those dated ahead wait for their day.
    key = (today, LayerVersion.stamp()[0])
    scan = since is not None or _checked["key"] != key
    since = since or today - datetime.timedelta(days=CATCH_UP_DAYS)
    due = (
        ParcelOwnership.objects.filter(valid_from__gt=since, valid_from__lte=today)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=today))
        .filter(
            Q(owner__isnull=True, parcel__owner__isnull=False)
            | Q(owner__isnull=False, parcel__owner__isnull=True)
            | (Q(owner__isnull=False, parcel__owner__isnull=False) & ~Q(owner=F("parcel__owner")))
        )
        .values_list("parcel_id", flat=True)
    )
    with transaction.atomic():
        parcel_ids = set(due) if scan else set()
        pending = LandOperation.objects.filter(applied_at__isnull=True, effective_date__lte=today)
        claimed = [
            pk
            for pk in pending.values_list("pk", flat=True)
            if LandOperation.objects.filter(pk=pk, applied_at__isnull=True).update(applied_at=timezone.now())
        ]
        touched = set()
        for operation in LandOperation.objects.filter(pk__in=claimed):
            refs = [*operation.parcels_before, *operation.parcels_after]
            touched |= set(Parcel.objects.filter(ref__in=refs).values_list("pk", flat=True))
            touched |= set(operation.ownerships.values_list("parcel_id", flat=True))
        parcel_ids |= touched
        if not parcel_ids:
            _checked["key"] = key
            return 0
        changed = 0
        parcels = list(Parcel.objects.filter(pk__in=parcel_ids))
        for parcel in parcels:
            if parcel.pk in parcel_ids:
                changed += refresh_current_owner(parcel, today)
        delegation.recompute_for_parcel_bboxes(
            *[(p.min_lon, p.min_lat, p.max_lon, p.max_lat) for p in parcels]
        )
        LayerVersion.bump(LayerVersion.TERRITORY)
    transaction.on_commit(lambda: _checked.update(key=(today, LayerVersion.stamp()[0])))
    return changed


def parcels_with_owner_on(day, queryset=None):
    """Parcels existing on `day`, annotated with `owner_at`: the id of their owner that day (their
    ownership period covering it, or `owner` for a parcel without periods)."""
    from django.db.models import BigIntegerField, Case, Exists, OuterRef, Subquery, When

    queryset = Parcel.objects.all() if queryset is None else queryset
    periods = ParcelOwnership.objects.filter(parcel=OuterRef("pk"))
    covering = periods.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=day)
    )
    return (
        queryset.existing_on(day)
        .annotate(dated=Exists(periods), owner_then=Subquery(covering.values("owner_id")[:1]))
        .annotate(
            owner_at=Case(
                When(dated=True, then=F("owner_then")), default=F("owner_id"), output_field=BigIntegerField()
            )
        )
    )
