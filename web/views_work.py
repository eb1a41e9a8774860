"""Work pages: the role home ("what needs my attention now"), handlers' queues, the DVQ's dashboard.

All counts and lists are built on THE scope filter (web.queries)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from engine.errors import EngineError
from engine.models import AlertState
from procedures import actions
from procedures.models import current_language
from web import queries
from web.forms import BulkAssignForm, QueueFilterForm
from web.labels import annotate_states
from web.nav import profile_of
from web.views_map import map_config
from web.views_requests import page_of, query_without_page, state_choices

QUEUE_LABELS = {
    "mine": gettext_lazy("Assigned to me"),
    "team": gettext_lazy("My team's"),
    "to_qualify": gettext_lazy("To qualify"),
    "overdue": gettext_lazy("Overdue"),
}


def list_url(**params):
    return reverse("request-list") + "?" + urlencode(params)


def attention(user):
    """(label, count, url, is_alarm) items for the home page of this user."""
    profile = profile_of(user)
    items = []
    if profile.is_commune:
        mine = queries.open_requests(user).filter(requester_organisation_id=user.organisation_id)
        items.append(
            (
                _("Open requests of my commune"),
                queries.open_requests(user).count(),
                list_url(status="open"),
                False,
            )
        )
        done_states = queries.states_where("confirm")
        items.append(
            (
                _("Done, waiting for my confirmation"),
                mine.filter(case__state__in=done_states).count(),
                list_url(status="open", state=done_states[0] if done_states else ""),
                False,
            )
        )
        items.append(
            (
                _("Urgency checks to answer"),
                mine.filter(queries.open_alert_q([AlertState.RAISED])).count(),
                list_url(status="all", alert="raised"),
                True,
            )
        )
    if profile.is_handler:
        counts = queries.queue_counts(user)
        for name in queries.QUEUES:
            items.append(
                (
                    str(QUEUE_LABELS[name]),
                    counts[name],
                    reverse("queue") + "?" + urlencode({"queue": name}),
                    name == "overdue",
                )
            )
    if profile.is_dvq:
        items += [
            (
                _("Urgent open requests"),
                queries.urgent_requests(user).count(),
                list_url(urgency="urgent"),
                False,
            ),
            (
                _("Answers to decide on"),
                queries.visible(user).filter(queries.open_alert_q([AlertState.ANSWERED])).count(),
                list_url(status="all", alert="answered"),
                True,
            ),
            (
                _("Unjustified urgencies"),
                queries.unjustified_urgencies(user).count(),
                list_url(status="all", unjustified="on"),
                False,
            ),
            (
                _("Overdue requests"),
                queries.open_requests(user).filter(queries.overdue_q()).count(),
                list_url(overdue="on"),
                True,
            ),
        ]
    return items


@login_required
@require_GET
def home(request):
    user = request.user
    return render(
        request,
        "web/home.html",
        {
            "organisation": user.organisation,
            "unit": user.unit,
            "roles": [assignment.get_role_display() for assignment in user.role_assignments.all()],
            "attention": attention(user),
        },
    )


def queue_selection(request):
    """The queue named by ``?queue=`` (default: the team's), narrowed by the search form and sorted by
    ``?sort=`` (default: oldest filed first): (name, form, whole queue, filtered and sorted, sort key,
    descending). The queues, the export and the map share it."""
    user = request.user
    if not profile_of(user).is_handler:
        raise PermissionDenied(_("The queues are for agents handling requests."))
    name = request.GET.get("queue") or "team"
    if name not in queries.QUEUES:
        name = "team"
    whole = queries.queue(user, name)
    form = QueueFilterForm(request.GET, states=state_choices())
    sort_key, descending = queries.parse_sort(request.GET.get("sort"), default="filed")
    selected = queries.sorted_by(form.apply(whole), sort_key, descending)
    return name, form, whole, selected, sort_key, descending


def queue_is_filtered(request):
    return any(request.GET.get(key) for key in QueueFilterForm.base_fields)


@login_required
@require_GET
def queue(request):
    user = request.user
    name, filter_form, whole, requests, sort_key, descending = queue_selection(request)
    counts, capped = queries.capped_queue_counts(user)
    if queue_is_filtered(request) or (capped and counts[name] <= queries.COUNT_CAP):
        page = page_of(request, requests)  # its own count (capped): the tab's may be a lower bound
    else:
        page = page_of(request, requests, count=counts[name], capped=capped)
    query = query_without_page(request) or urlencode({"queue": name})
    assign_form = None
    if user.unit_id:  # every queue: "to qualify" qualifies and assigns, the others (re)assign the agent
        assign_form = BulkAssignForm(requests=whole, agents=assignable_agents(user))
        if name != "to_qualify":
            assign_form.fields["agent"].label = _("Assign to")
    tabs = [
        {
            "name": key,
            "label": QUEUE_LABELS[key],
            "count": counts[key],
            "capped": capped,
            "current": key == name,
        }
        for key in queries.QUEUES
    ]
    return render(
        request,
        "web/queue.html",
        {
            "tabs": tabs,
            "name": name,
            "label": QUEUE_LABELS[name],
            "page": page,
            "assign_form": assign_form,
            "assign_form_id": "bulk-assign" if assign_form else "",
            "query": query,
            "filter_form": filter_form,
            "filtered": queue_is_filtered(request),
            "headers": queries.table_headers(request.GET, sort_key, descending),
            "sort": request.GET.get("sort", ""),
            "map_config": map_config(),
            "points_url": reverse("queue-points") + "?" + query,
        },
    )


@login_required
@require_GET
def queue_points(request):
    _name, _form, _whole, requests, _key, _descending = queue_selection(request)
    rows = requests.values_list("reference", "lon", "lat", "urgency", "category__name", "category__name_en")[
        :2000
    ]
    english = current_language() == "en"
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [lon, lat]},
                    "properties": {
                        "name": f"{reference} · {category}",
                        "urgent": urgency == "urgent",
                        "url": reverse("request-detail", args=[reference]),
                        "linkText": _("Open the request"),
                    },
                }
                for reference, lon, lat, urgency, name, name_en in rows
                for category in [(name_en if english else "") or name]
            ],
        }
    )


@login_required
@require_GET
def dvq_dashboard(request):
    user = request.user
    if not profile_of(user).is_dvq:
        raise PermissionDenied(_("This page is for the DVQ."))
    urgent = annotate_states(list(queries.sorted_by(queries.urgent_requests(user), "filed", False)[:20]))
    return render(
        request,
        "web/dvq.html",
        {
            "urgent": urgent,
            "urgent_count": queries.urgent_requests(user).count(),
            "unjustified_count": queries.unjustified_urgencies(user).count(),
            "alerts": [
                {
                    "label": label,
                    "count": count,
                    "url": list_url(status="all", alert=state) if state != AlertState.CLOSED else "",
                }
                for state, label, count in queries.alerts_by_state(user)
            ],
            "overdue_by_handler": queries.overdue_by_handler(user),
            "per_commune": queries.counts_per_commune(user),
        },
    )


def assignable_agents(user):
    """Agents and supervisors of the user's unit and the units below it: who may be put in charge of
    the requests their unit handles (procedures.actions.agents_of, the rule of qualify and assign)."""
    return actions.agents_of(user.unit)


@login_required
@require_POST
def queue_assign(request):
    """Bulk assignment from a queue, through the action layer, one request at a time (each all or
    nothing): from "to qualify" each selected request is qualified with the chosen agent in charge;
    from the other queues the agent in charge is (re)assigned (do_assign_request_agent)."""
    user = request.user
    if not profile_of(user).is_handler or not user.unit_id:
        raise PermissionDenied(_("The queues are for agents handling requests."))
    name = request.POST.get("queue") or "to_qualify"
    if name not in queries.QUEUES:
        messages.error(request, _("Unknown queue."))
        return redirect(reverse("queue"))
    form = BulkAssignForm(request.POST, requests=queries.queue(user, name), agents=assignable_agents(user))
    back = reverse("queue") + "?" + urlencode({"queue": name})
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return redirect(back)
    agent = form.cleaned_data["agent"]
    done, refused = [], []
    for item in sorted(form.cleaned_data["requests"], key=lambda item: (item.created_at, item.pk)):
        try:
            if name == "to_qualify":
                actions.do_transition_request(
                    item, "qualify", acting_user=user, fields={"handler_agent": agent.pk}
                )
            else:
                actions.do_assign_request_agent(item, agent, acting_user=user)
        except EngineError as error:
            refused.append(f"{item.reference}: {error}")
        else:
            done.append(item.reference)
    if done:
        messages.success(
            request,
            _("Assigned to %(agent)s: %(refs)s.")
            % {"agent": agent.get_full_name() or agent.username, "refs": ", ".join(done)},
        )
    for line in refused:
        messages.error(request, line)
    return redirect(back)
