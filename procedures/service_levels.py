"""The service level that applies to a request: the most specific matching row wins."""

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from procedures import conf
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
    rows = ServiceLevel.objects.filter(is_active=True).filter(
        Q(category__isnull=True) | Q(category=category),
        Q(zone_type="") | Q(zone_type=zone_type),
        Q(urgency="") | Q(urgency=urgency),
    )
    return [row for row in rows if row.in_season(day)]


def targets_for(category, *, in_qpv, urgency, day):
    zone_type = ZoneType.QPV if in_qpv else ZoneType.OTHER
    levels = matching_levels(category, zone_type, urgency, day)
    if not levels:
        return Targets(conf.get("GUP_DEFAULT_ACKNOWLEDGE_HOURS"), conf.get("GUP_DEFAULT_RESOLVE_HOURS"), None)
    best = max(levels, key=lambda level: (level.specificity, -level.pk))
    return Targets(best.acknowledge_hours, best.resolve_hours, best)
