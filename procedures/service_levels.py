"""The service level that applies to a request: the most specific matching row wins."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures import catalogue_cache, conf
from procedures.models import ServiceLevel, ZoneType


@dataclass(frozen=True)
class Targets:
    acknowledge_hours: int
    resolve_hours: int
    level: ServiceLevel | None  # None: the settings' default

    @property
    def label(self):
        return self.level.name if self.level else _("default service level")


def matching_levels(category, zone_type, urgency, day):
    active = catalogue_cache.active_service_levels()  # during a filing: this process's cached rows
    if active is None:
        rows = ServiceLevel.objects.filter(is_active=True).filter(
            Q(category__isnull=True) | Q(category=category),
            Q(zone_type="") | Q(zone_type=zone_type),
            Q(urgency="") | Q(urgency=urgency),
        )
    else:  # the same filter, on the rows in hand
        rows = [
            row
            for row in active
            if row.category_id in (None, category.pk)
            and row.zone_type in ("", zone_type)
            and row.urgency in ("", urgency)
        ]
    return [row for row in rows if row.in_season(day)]


def targets_for(category, *, in_qpv, urgency, day):
    zone_type = ZoneType.QPV if in_qpv else ZoneType.OTHER
    levels = matching_levels(category, zone_type, urgency, day)
    if not levels:
        return Targets(conf.get("GUP_DEFAULT_ACKNOWLEDGE_HOURS"), conf.get("GUP_DEFAULT_RESOLVE_HOURS"), None)
    best = max(levels, key=lambda level: (level.specificity, -level.pk))
    return Targets(best.acknowledge_hours, best.resolve_hours, best)


def targets_for_request(request):
    """The targets of a request, from its category, zone, current urgency and filing date."""
    cached = getattr(request, "_targets", None)
    key = (request.category_id, request.in_qpv, request.urgency, request.created_at)
    if cached is not None and cached[0] == key:
        return cached[1]
    targets = targets_for(
        request.category,
        in_qpv=request.in_qpv,
        urgency=request.urgency,
        day=timezone.localdate(request.created_at),
    )
    if request.sector_version_id:  # filed inside a sub-sector procedure: its overrides win
        from procedures.sectors.service_levels import override_targets

        targets = override_targets(request, targets)
    request._targets = (key, targets)
    return targets
