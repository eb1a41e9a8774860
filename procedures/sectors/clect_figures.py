"""The figures of a CLECT group for a calendar year: the interventions (requests filed in the year inside a
member while it was in the group) and the time spent on them, per actor and per commune, and the table
that the CSV and XLSX exports write.

- A perimeter member counts the requests filed at a point inside its outline; a sub-sector procedure
  member counts the requests that one of its versions routed. Only the days of the year on which the
  member was in the group count.
- A request inside two members of the same group counts once in the totals, the actors and the communes
  (the members' table counts it for each).
- The actor is the unit that handles the request (or its organisation when no unit is named); the
  commune is the one the request was filed in. "Done" is a request resolved (at any date since).
- The time spent is the hours the handling units recorded on their done requests
  (procedures.sectors.means.do_record_time_spent, once per request, whoever handled it). A request with
  no time recorded adds nothing to the hours; ``time_recorded`` counts the requests that have some, so
  that a reader tells 0 hours from hours not recorded (the page says « non renseigné » when none is).
"""

import datetime
from decimal import Decimal

import shapely
import shapely.prepared
from django.utils import timezone
from django.utils.translation import gettext as _

from procedures.models import InterventionRequest

ZERO = Decimal("0.00")


def _midnight(day):
    return timezone.make_aware(datetime.datetime(day.year, day.month, day.day))


def member_window(membership, year):
    """[start, end) of the membership's days within the year, as aware datetimes; None if none."""
    first = max(datetime.date(year, 1, 1), membership.starts_on)
    after = datetime.date(year + 1, 1, 1)
    if membership.ends_on is not None:
        after = min(after, membership.ends_on + datetime.timedelta(days=1))
    if first >= after:
        return None
    return _midnight(first), _midnight(after)


def _requests(membership, start, end):
    queryset = InterventionRequest.objects.filter(created_at__gte=start, created_at__lt=end).select_related(
        "commune", "handler_unit__organisation", "handler_organisation", "sector_time_spent"
    )
    if membership.procedure_id:
        return list(queryset.filter(sector_version__procedure_id=membership.procedure_id))
    shape = membership.perimeter.shape()
    minx, miny, maxx, maxy = shape.bounds
    prepared = shapely.prepared.prep(shape)
    candidates = queryset.filter(lon__gte=minx, lon__lte=maxx, lat__gte=miny, lat__lte=maxy)
    return [r for r in candidates if prepared.contains(shapely.Point(r.lon, r.lat))]


def _hours(request):
    """The hours recorded on the request, or None when none are."""
    try:
        return request.sector_time_spent.hours
    except InterventionRequest.sector_time_spent.RelatedObjectDoesNotExist:
        return None


def actor_of(request):
    """(actor, organisation) names of who handles the request."""
    if request.handler_unit_id:
        return request.handler_unit.name, request.handler_unit.organisation.name
    if request.handler_organisation_id:
        return request.handler_organisation.name, request.handler_organisation.name
    return _("not assigned"), ""


def member_label(membership):
    if membership.perimeter_id:
        return str(membership.perimeter)
    return _("Sub-sector procedure · %(title)s") % {"title": membership.procedure.title}


def years_of(group):
    """The calendar years the group has had members, most recent first (this year at least)."""
    this_year = timezone.localdate().year
    first = group.memberships.order_by("starts_on").values_list("starts_on", flat=True).first()
    first_year = min(first.year, this_year) if first else this_year
    last = this_year
    if first and first.year > this_year:
        last = first.year
    return list(range(last, first_year - 1, -1))


def _add(bucket, request):
    bucket["requests"] += 1
    bucket["done"] += request.resolved_at is not None
    hours = _hours(request)
    if hours is not None:
        bucket["hours"] += hours
        bucket["time_recorded"] += 1


def _bucket(**names):
    return {**names, "requests": 0, "done": 0, "hours": ZERO, "time_recorded": 0}


def group_figures(group, year):
    """The group's figures for ``year``; its ``rows`` (commune, actor, organisation, requests, done,
    hours, time_recorded) are what the exports write, sorted by commune then actor."""
    memberships = list(group.memberships.select_related("perimeter", "procedure").order_by("starts_on", "pk"))
    seen = {}
    members = []
    for membership in memberships:
        window = member_window(membership, year)
        found = _requests(membership, *window) if window else []
        for request in found:
            seen.setdefault(request.pk, request)
        members.append(
            {
                "membership": membership,
                "label": member_label(membership),
                "kind": "perimeter" if membership.perimeter_id else "procedure",
                "code": membership.member.code,
                "from": window[0].date() if window else None,
                "to": (window[1] - datetime.timedelta(days=1)).date() if window else None,
                "requests": len(found),
            }
        )
    total = _bucket()
    actors, communes, cells = {}, {}, {}
    for request in seen.values():
        actor, organisation = actor_of(request)
        commune = request.commune.name
        _add(total, request)
        _add(
            actors.setdefault((actor, organisation), _bucket(actor=actor, organisation=organisation)), request
        )
        _add(communes.setdefault(commune, _bucket(commune=commune)), request)
        _add(
            cells.setdefault(
                (commune, actor, organisation),
                _bucket(commune=commune, actor=actor, organisation=organisation),
            ),
            request,
        )
    return {
        "year": year,
        "total": total,
        "by_actor": [actors[key] for key in sorted(actors)],
        "by_commune": [communes[key] for key in sorted(communes)],
        "by_member": members,
        "rows": [cells[key] for key in sorted(cells)],
    }


def export_headers():
    return [
        _("Year"),
        _("CLECT group"),
        _("Commune"),
        _("Actor"),
        _("Organisation"),
        _("Interventions"),
        _("Done"),
        _("Hours spent"),
        _("Requests with time recorded"),
    ]


def export_rows(group, figures):
    for row in figures["rows"]:
        yield (
            figures["year"],
            group.name,
            row["commune"],
            row["actor"],
            row["organisation"],
            row["requests"],
            row["done"],
            float(row["hours"]),  # a number in XLSX, a decimal comma in CSV
            row["time_recorded"],  # 0: the hours are not recorded, not zero
        )
