"""What the analysis and the report show: findings grouped by theme and item (counts, average ratings),
and for each point its land owner and handler from the directory's routing, with its plain explanation,
and the open requests nearby (possible duplicates). Read-only."""

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import shapely
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from diagnostics.models import Finding, FindingPhoto
from directory import routing
from procedures.duplicates import duplicate_candidates
from procedures.scope import requests_visible_to


@dataclass
class Point:
    finding: Finding
    number: int
    owner: str = ""
    handler: str = ""
    explanation: str = ""
    duplicates: list = field(default_factory=list)


@dataclass
class Group:
    theme: str
    item: str
    count: int = 0
    total: int = 0
    numbers: list = field(default_factory=list)

    @property
    def average(self):
        if not self.count:
            return None
        return (Decimal(self.total) / self.count).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def findings_of(diagnostic):
    return (
        Finding.objects.filter(diagnostic=diagnostic)
        .select_related("item__theme", "item__category", "request", "recorded_by")
        .prefetch_related(Prefetch("photos", queryset=FindingPhoto.objects.order_by("pk")))
        .order_by("observed_at", "pk")
    )


def _place(point, index):
    finding = point.finding
    parcel = index.parcel_at(shapely.Point(finding.lon, finding.lat))
    if parcel is not None and parcel.owner_id in index.organisations:
        point.owner = index.organisations[parcel.owner_id].name
    elif parcel is not None:
        point.owner = _("public domain") if parcel.domain == "public" else _("owner unknown")
    else:
        point.owner = _("no parcel known here")
    category = finding.item.category
    if category is None:
        point.explanation = _("No request category for this item: the handler is not looked up.")
        return
    try:
        decision = routing.resolve(finding.lon, finding.lat, category)
    except routing.RoutingError as exc:
        point.explanation = str(exc)
        return
    point.handler = decision.handler.name if decision.handler else _("to be qualified by the CTC")
    point.explanation = routing.plain_explanation(decision, category.name)


def analyse(diagnostic, user, *, with_places=True):
    """(points, groups): every finding numbered in order of observation, and the groups by theme/item."""
    findings = list(findings_of(diagnostic))
    points = [Point(finding=f, number=n) for n, f in enumerate(findings, 1)]
    groups = OrderedDict()
    for point in points:
        item = point.finding.item
        key = (item.theme.position, item.theme.code, item.position, item.code)
        group = groups.setdefault(key, Group(theme=item.theme.label, item=item.label))
        group.count += 1
        group.total += point.finding.rating
        group.numbers.append(point.number)
    if with_places:
        index = routing.get_index()
        visible = requests_visible_to(user)
        for point in points:
            _place(point, index)
            finding = point.finding
            if not finding.outcome and finding.item.category is not None:
                point.duplicates = list(
                    duplicate_candidates(finding.item.category, finding.lon, finding.lat, queryset=visible)[
                        :3
                    ]
                )
    return points, [groups[key] for key in sorted(groups)]


def summary(points):
    by_outcome = {}
    for point in points:
        by_outcome[point.finding.outcome or "open"] = by_outcome.get(point.finding.outcome or "open", 0) + 1
    return by_outcome
