"""The lists the interface shows, all built on THE scope filter (procedures.scope.requests_visible_to).

These are read-only selections (queues, overdue, urgencies, alerts); no rule about what a request may
become lives here: that is the engine's and procedures.actions'.
"""

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from engine.models import Alert, AlertState, Case, Deadline, DeadlineState, Procedure, VersionStatus
from procedures.actions import PROCEDURE, URGENCY_CHECK
from procedures.actions.references import unit_and_below  # one rule: a team lead's queue covers sub-teams
from procedures.models import InterventionRequest, Urgency
from procedures.scope import requests_visible_to
from procedures.search import fold
from web.labels import definition

LIST_RELATED = ("category", "commune", "case", "handler_unit", "handler_organisation", "handler_agent")


def _memo(user, key, compute):
    """A value computed once per request (the user object lives as long as the request)."""
    memo = user.__dict__.setdefault("_web_memo", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def visible(user):
    """The requests the user may see (built once per request: the scope filter reads the user's units)."""
    return _memo(
        user,
        "visible",
        lambda: requests_visible_to(user, InterventionRequest.objects.select_related(*LIST_RELATED)),
    ).all()


def open_requests(user):
    return visible(user).filter(closed_at__isnull=True)


def overdue_q(now=None):
    """Requests with a running deadline already past (acknowledgement or resolution).

    An uncorrelated IN (the running deadlines are few and indexed) lets PostgreSQL hash them once,
    where a correlated EXISTS would probe the deadlines once per request row."""
    now = now or timezone.now()
    late = Deadline.objects.filter(state=DeadlineState.RUNNING, due_at__lt=now).values("case_id")
    return Q(case_id__in=late)


def open_alert_q(states=(AlertState.RAISED, AlertState.ANSWERED), code=URGENCY_CHECK):
    alerts = Alert.objects.filter(state__in=list(states))
    if code:
        alerts = alerts.filter(code=code)
    return Q(case_id__in=alerts.values("case_id"))


def published_version():
    procedure = Procedure.objects.filter(code=PROCEDURE).first()
    return procedure.latest_published() if procedure else None


def states_where(transition_code):
    """The states from which a transition of the published intervention-request procedure starts."""
    version_id = (
        Procedure.objects.filter(code=PROCEDURE, versions__status=VersionStatus.PUBLISHED)
        .order_by("-versions__number")
        .values_list("versions__pk", flat=True)
        .first()
    )
    if version_id is None:
        return []
    spec = definition(version_id)["transitions"].get(transition_code)
    return list(spec["from"]) if spec else []


def _queue_filters(user, now=None):
    """The queues as conditions on the user's open requests: ``mine``, ``team`` (the unit and those
    below it), ``to_qualify`` (requests the team handles or dispatches, in a state the procedure's
    qualify step starts from) and ``overdue`` (the team's or mine, with a deadline past)."""
    units = _memo(user, "units", lambda: unit_and_below(user.unit) if user.unit_id else set())
    states = _memo(user, "qualify_states", lambda: states_where("qualify"))
    mine = Q(handler_agent=user)
    team = Q(handler_unit_id__in=units)
    work = mine | team | Q(dispatcher_unit_id__in=units)
    # The states through an IN on the indexed Case.state: no join of every case.
    qualifiable = Q(case_id__in=Case.objects.filter(state__in=states).values("pk"))
    return {
        "mine": mine,
        "team": team,
        "to_qualify": (team | Q(dispatcher_unit_id__in=units)) & qualifiable,
        "overdue": work & overdue_q(now),
    }, work


def queue(user, name, now=None):
    """A handler's queue: ``mine``, ``team``, ``to_qualify`` or ``overdue`` (open requests only)."""
    filters, _work = _queue_filters(user, now)
    if name not in filters:
        raise ValueError(name)
    return open_requests(user).filter(filters[name])


QUEUES = ("mine", "team", "to_qualify", "overdue")
# Lists and tabs count at most this many rows: past it they say "more than", and the cost of a page
# stops growing with the table (a COUNT over a million requests is most of a page's time otherwise).
COUNT_CAP = 10_000


def capped_count(queryset, cap=None):
    """min(the number of rows, cap + 1), counted over at most cap + 1 rows (one query)."""
    cap = COUNT_CAP if cap is None else cap
    return queryset.order_by()[: cap + 1].count()


def capped_queue_counts(user, now=None, cap=None):
    """The size of each queue, counted in one query over at most ``cap`` + 1 of the user's open work
    requests (the newest), so its cost stops growing with the table: (counts, capped), where capped
    says the work holds more than ``cap`` requests and the counts are then lower bounds."""
    cap = COUNT_CAP if cap is None else cap
    filters, work = _queue_filters(user, now)
    first = open_requests(user).filter(work).order_by("-pk").values("pk")[: cap + 1]
    row = InterventionRequest.objects.filter(pk__in=first).aggregate(
        total=Count("pk"), **{name: Count("pk", filter=condition) for name, condition in filters.items()}
    )
    return {name: row[name] for name in filters}, row["total"] > cap


def queue_counts(user, now=None):
    """The size of each queue, in one aggregate query over the open requests of the user's work."""
    filters, work = _queue_filters(user, now)
    return (
        open_requests(user)
        .filter(work)
        .aggregate(**{name: Count("pk", filter=condition) for name, condition in filters.items()})
    )


def urgent_requests(user):
    return open_requests(user).filter(urgency=Urgency.URGENT)


def unjustified_urgencies(user):
    """Filed urgent without a justified urgency: no criterion (check open) or the DVQ upheld its alert."""
    return visible(user).filter(urgency_requested=Urgency.URGENT, urgency_justified=False)


def alerts_by_state(user):
    """Urgency checks on visible requests, counted by state."""
    alerts = Alert.objects.filter(
        code=URGENCY_CHECK, case__intervention_request__in=requests_visible_to(user).values("pk")
    )
    counts = dict(alerts.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    return [(state, label, counts.get(state, 0)) for state, label in AlertState.choices]


def overdue_by_handler(user, now=None):
    rows = (
        requests_visible_to(user)
        .filter(closed_at__isnull=True)
        .filter(overdue_q(now))
        .values("handler_unit__name", "handler_organisation__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "handler_unit__name")
    )
    return [
        {"handler": row["handler_unit__name"] or row["handler_organisation__name"] or "—", "count": row["n"]}
        for row in rows
    ]


def counts_per_commune(user, now=None):
    now = now or timezone.now()
    return list(
        requests_visible_to(user)
        .values("commune__name")
        .annotate(
            open=Count("pk", filter=Q(closed_at__isnull=True)),
            urgent=Count("pk", filter=Q(closed_at__isnull=True, urgency=Urgency.URGENT)),
            unjustified=Count("pk", filter=Q(urgency_requested=Urgency.URGENT, urgency_justified=False)),
            overdue=Count("pk", filter=Q(closed_at__isnull=True) & overdue_q(now)),
            total=Count("pk"),
        )
        .order_by("commune__name")
    )


# --- search and sorting of lists ---------------------------------------------------------------------------
def search_q(text):
    """Requests whose reference contains ``text`` or whose description or address contains it, accents
    and case aside (the folded ``search_text`` column; the plain columns too, for rows written
    without the action layer)."""
    text = (text or "").strip()
    folded = fold(text)
    q = Q(reference__icontains=text) | Q(description__icontains=text) | Q(address__icontains=text)
    return q | Q(search_text__contains=folded) if folded else q


def with_due(queryset):
    """Annotate ``due_at``: the nearest running deadline of the request (alerts' clocks aside)."""
    running = (
        Deadline.objects.filter(case_id=OuterRef("case_id"), state=DeadlineState.RUNNING)
        .exclude(kind__startswith="alert:")
        .order_by("due_at")
        .values("due_at")[:1]
    )
    return queryset.annotate(due_at=Subquery(running))


# ?sort= values: the column they sort on (a leading "-" sorts the other way).
SORTS = {
    "reference": "reference",
    "filed": "created_at",
    "due": "due_at",
    "state": "case__state",
    "category": "category__name",
}


def parse_sort(value, default="-filed"):
    """(key, descending) of a whitelisted ``?sort=`` value; anything else gives the default."""
    value = (value or "").strip()
    key = value.lstrip("-")
    if key not in SORTS:
        value = default
        key = value.lstrip("-")
    return key, value.startswith("-")


def sorted_by(queryset, key, descending):
    """The queryset (annotated with ``due_at``) in the order of a SORTS key, the id breaking ties."""
    expression = F(SORTS[key])
    expression = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return with_due(queryset).order_by(expression, "-id" if descending else "id")


# (sort key or None, label): the columns of web/requests/_table.html.
COLUMNS = [
    ("reference", _("Reference")),
    ("filed", _("Filed")),
    ("category", _("Category")),
    (None, _("Commune")),
    ("state", _("Step")),
    (None, _("Urgency")),
    (None, _("Handler")),
    ("due", _("Due")),
    (None, _("Planned")),
]


def table_headers(params=None, key=None, descending=False):
    """The table's column headers; with ``params`` (the page's query string, a QueryDict), the
    sortable ones link to the same list sorted by them (the current one the other way) and the
    current one carries ``aria_sort``."""
    headers = []
    for column, label in COLUMNS:
        header = {"label": label, "url": "", "aria_sort": "", "sorted": ""}
        if params is not None and column:
            query = params.copy()
            query.pop("page", None)
            query["sort"] = f"-{column}" if column == key and not descending else column
            header["url"] = "?" + query.urlencode()
            if column == key:
                header["aria_sort"] = "descending" if descending else "ascending"
                header["sorted"] = "▼" if descending else "▲"
        headers.append(header)
    return headers
