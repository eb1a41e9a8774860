"""Downloads of the lists as CSV or XLSX: the request list (/requests/), the queues (/queue/) and the
DVQ's tables (/dvq/), with the filters and the order of the page they come from.

They start from the same selections as the pages (the scope filter through web.queries), read the
rows in a constant number of queries (the related rows joined, the nearest deadline as a subquery,
the state labels from the cached definitions), and name their columns in the user's language.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from web import queries
from web.exports import FORMATS, table_response
from web.labels import state_label
from web.nav import profile_of
from web.views_requests import filtered_requests
from web.views_work import QUEUE_LABELS, queue_selection

MAX_ROWS = 50_000
COMMUNE_COLUMNS = ("commune__name", "open", "urgent", "unjustified", "overdue", "total")


def _check_format(fmt):
    if fmt not in FORMATS:
        raise Http404(_("Unknown export format: choose csv or xlsx."))


def request_headers():
    return [
        _("Reference"),
        _("Filed at"),
        _("Category"),
        _("Commune"),
        _("Address"),
        _("Step"),
        _("Urgency"),
        _("Handler"),
        _("Agent in charge"),
        _("Due"),
        _("Planned date"),
        _("Closed at"),
        _("Description"),
    ]


def request_rows(requests):
    for item in requests[:MAX_ROWS].iterator(chunk_size=1000):
        agent = item.handler_agent
        yield (
            item.reference,
            item.created_at,
            item.category.name,
            item.commune.name,
            item.address,
            state_label(item.case),
            item.get_urgency_display(),
            str(item.handler_unit or item.handler_organisation or ""),
            (agent.get_full_name() or agent.username) if agent else "",
            item.due_at,
            item.planned_date,
            item.closed_at,
            item.description,
        )


@login_required
@require_GET
def request_list_export(request, fmt):
    _check_format(fmt)
    _form, requests = filtered_requests(request)
    sort_key, descending = queries.parse_sort(request.GET.get("sort"))
    rows = request_rows(queries.sorted_by(requests, sort_key, descending))
    return table_response(fmt, request_headers(), rows, name_parts=[_("requests")], title=_("Requests"))


@login_required
@require_GET
def queue_export(request, fmt):
    _check_format(fmt)
    name, _form, _whole, requests, _key, _descending = queue_selection(request)
    label = str(QUEUE_LABELS[name])
    return table_response(
        fmt, request_headers(), request_rows(requests), name_parts=[_("queue"), label], title=label
    )


def _dvq_tables(user):
    """The DVQ dashboard's tables: name -> (title, headers, rows)."""
    return {
        "urgent": (
            _("Urgent open requests"),
            request_headers,
            lambda: request_rows(queries.sorted_by(queries.urgent_requests(user), "filed", False)),
        ),
        "alerts": (
            _("Urgency checks by state"),
            lambda: [_("State"), _("Number")],
            lambda: [(str(label), count) for _state, label, count in queries.alerts_by_state(user)],
        ),
        "overdue": (
            _("Overdue by handler"),
            lambda: [_("Handler"), _("Overdue requests")],
            lambda: [(row["handler"], row["count"]) for row in queries.overdue_by_handler(user)],
        ),
        "communes": (
            _("Counts per commune"),
            lambda: [
                _("Commune"),
                _("Open"),
                _("Urgent"),
                _("Unjustified urgencies"),
                _("Overdue"),
                _("Total"),
            ],
            lambda: [tuple(row[key] for key in COMMUNE_COLUMNS) for row in queries.counts_per_commune(user)],
        ),
    }


DVQ_TABLES = ("urgent", "alerts", "overdue", "communes")


@login_required
@require_GET
def dvq_export(request, table, fmt):
    _check_format(fmt)
    user = request.user
    if not profile_of(user).is_dvq:
        raise PermissionDenied(_("This page is for the DVQ."))
    tables = _dvq_tables(user)
    if table not in tables:
        raise Http404(_("Unknown table."))
    title, headers, rows = tables[table]
    return table_response(fmt, headers(), rows(), name_parts=["dvq", title], title=title)
