"""Intervention requests in the browser: file, list (and map), read, and act on one.

Every list and detail starts from THE scope filter (procedures.scope via web.queries): a request out
of scope is a 404. Every change calls procedures.actions or the engine's actions, which check the
roles and write the audit trail; their errors are shown on the form that was sent (status 400, 403 or
409, the page re-rendered with what was typed). Pages work without JavaScript; htmx only swaps parts.
"""

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from engine.attachments import attachment_response
from engine.errors import ConcurrentChange, EngineError, InvalidFields, RoleNotAllowed
from engine.models import Alert, AlertState, Attachment, AuditEntry, Comment, Deadline, DeadlineState
from engine.queries import available_transitions, roles_of
from procedures import actions
from procedures.attributes import parse_number
from procedures.duplicates import duplicate_candidates
from procedures.models import Category, Urgency, current_language
from web import queries
from web.forms import (
    AlertAnswerForm,
    AlertCloseForm,
    AlertRaiseForm,
    AttachForm,
    CommentForm,
    FileRequestForm,
    RequestFilterForm,
    TransitionForm,
    add_engine_errors,
    share_people_choices,
)
from web.labels import annotate_states, definition, is_final, label_audit, localized, state_label
from web.nav import profile_of
from web.views_geocode import own_commune
from web.views_map import map_config

PAGE_SIZE = 50
MAX_POINTS = 2000


def error_status(error):
    if isinstance(error, RoleNotAllowed):
        return 403
    if isinstance(error, ConcurrentChange):
        return 409
    return 400


def is_htmx(request):
    return request.headers.get("HX-Request") == "true"


# --- lists ---------------------------------------------------------------------------------------------
def state_choices():
    version = queries.published_version()
    if version is None:
        return []
    return [(code, localized(spec.get("label"), code)) for code, spec in version.definition["states"].items()]


def filtered_requests(request):
    """The visible requests filtered by the query string; returns (form, queryset)."""
    user = request.user
    profile = profile_of(user)
    form = RequestFilterForm(request.GET or None, states=state_choices(), show_commune=not profile.is_commune)
    requests = queries.visible(user)
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status") or "open"
    if status == "open":
        requests = requests.filter(closed_at__isnull=True)
    elif status == "closed":
        requests = requests.filter(closed_at__isnull=False)
    if data.get("q"):
        requests = requests.filter(queries.search_q(data["q"]))
    if data.get("state"):
        requests = requests.filter(case__state=data["state"])
    if data.get("category"):
        requests = requests.filter(category__code=data["category"])
    if data.get("urgency"):
        requests = requests.filter(urgency=data["urgency"])
    if data.get("commune"):
        requests = requests.filter(commune=data["commune"])
    if data.get("overdue"):
        requests = requests.filter(queries.overdue_q())
    if data.get("unjustified"):
        requests = requests.filter(urgency_requested=Urgency.URGENT, urgency_justified=False)
    if data.get("alert"):
        states = {
            "raised": [AlertState.RAISED],
            "answered": [AlertState.ANSWERED],
            "open": [AlertState.RAISED, AlertState.ANSWERED],
        }[data["alert"]]
        requests = requests.filter(queries.open_alert_q(states))
    return form, requests


def page_of(request, queryset, count=None):
    """One page of the queryset (``count``: the total when already known, saving a COUNT query)."""
    paginator = Paginator(queryset, PAGE_SIZE)
    if count is not None:
        paginator.__dict__["count"] = count
    page = paginator.get_page(request.GET.get("page"))
    annotate_states(page.object_list)
    return page


def query_without_page(request):
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_GET
def request_list(request):
    form, requests = filtered_requests(request)
    sort_key, descending = queries.parse_sort(request.GET.get("sort"))
    page = page_of(request, queries.sorted_by(requests, sort_key, descending))
    context = {
        "form": form,
        "page": page,
        "query": query_without_page(request),
        "headers": queries.table_headers(request.GET, sort_key, descending),
        "sort": request.GET.get("sort", ""),
        "map_config": map_config(),
        "points_url": reverse("request-points") + ("?" + request.GET.urlencode() if request.GET else ""),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "request-results":
        return render(request, "web/requests/_results.html", context)
    return render(request, "web/requests/list.html", context)


@login_required
@require_GET
def request_points(request):
    """The same filtered requests as GeoJSON points (at most MAX_POINTS, newest first)."""
    _form, requests = filtered_requests(request)
    rows = requests.order_by("-created_at", "-id").values_list(
        "reference", "lon", "lat", "urgency", "category__name", "category__name_en", "description"
    )[:MAX_POINTS]
    english = current_language() == "en"
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {
                "label": f"{reference} · {category}",
                "name": f"{reference} · {category}",
                "status": description[:80],
                "urgent": urgency == Urgency.URGENT,
                "url": reverse("request-detail", args=[reference]),
                "linkText": _("Open the request"),
            },
        }
        for reference, lon, lat, urgency, name, name_en, description in rows
        for category in [(name_en if english else "") or name]
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


# --- filing --------------------------------------------------------------------------------------------
def chosen_category(code):
    if not code:
        return None
    return Category.objects.filter(code=code, is_active=True).select_related("group").first()


def candidates_for(user, category, lon, lat):
    """Duplicate candidates the user may see (the scope filter applies here too)."""
    if category is None or lon is None or lat is None:
        return []
    try:
        lon, lat = parse_number(lon), parse_number(lat)
    except (TypeError, ValueError):
        return []
    found = duplicate_candidates(category, lon, lat, queryset=queries.visible(user))[:5]
    return annotate_states(list(found))


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    """File a request. Without JavaScript, "Show the fields of this category" reloads the form with the
    category's attributes and urgency criteria; with htmx, choosing the category does it in place."""
    data = request.POST if request.method == "POST" else request.GET
    category = chosen_category(data.get("category"))
    filing = request.method == "POST" and "file" in request.POST
    form = FileRequestForm(
        request.POST if filing else None,
        request.FILES if filing else None,
        category=category,
        initial={key: value for key, value in data.items() if key != "csrfmiddlewaretoken"},
    )
    status = 200
    if filing and form.is_valid():
        try:
            filed = actions.do_file_request(
                acting_user=request.user,
                category=category,
                description=form.cleaned_data["description"],
                lon=form.cleaned_data["lon"],
                lat=form.cleaned_data["lat"],
                address=form.cleaned_data["address"],
                urgency=form.cleaned_data["urgency"],
                urgency_criteria=form.cleaned_data.get("urgency_criteria", []),
                attributes=form.attribute_values(),
                files=form.cleaned_data["photos"],
            )
        except EngineError as error:
            add_engine_errors(form, error, {"files": "photos"})
            status = error_status(error)
        else:
            messages.success(request, _("Your request %(ref)s was filed.") % {"ref": filed.reference})
            return redirect("request-detail", filed.reference)
    elif filing:
        status = 400
    if filing and category is None and not form.has_error("category"):
        form.add_error("category", _("Choose a category."))
    context = {
        "form": form,
        "category": category,
        "map_config": map_config(focus=own_commune(request.user)),
        "candidates": candidates_for(request.user, category, data.get("lon"), data.get("lat")),
    }
    return render(request, "web/requests/new.html", context, status=status)


@login_required
@require_GET
def request_new_category_fields(request):
    """htmx: the chosen category's attributes and urgency criteria, for the filing form."""
    form = FileRequestForm(category=chosen_category(request.GET.get("category")))
    return render(request, "web/requests/_category_fields.html", {"form": form, "category": form.category})


@login_required
@require_GET
def request_new_duplicates(request):
    """htmx: possible duplicates near the point, shown before filing."""
    category = chosen_category(request.GET.get("category"))
    candidates = candidates_for(request.user, category, request.GET.get("lon"), request.GET.get("lat"))
    return render(request, "web/requests/_duplicates.html", {"candidates": candidates, "category": category})


@login_required
@require_POST
def request_follow(request, reference):
    """Follow an existing request instead of filing a new one."""
    target = get_object_or_404(queries.visible(request.user), reference=reference)
    try:
        actions.do_follow_request(target, acting_user=request.user)
    except EngineError as error:
        messages.error(request, str(error))
        return redirect("request-new")
    messages.success(
        request,
        _("Your commune now follows %(ref)s: you will receive its messages.") % {"ref": target.reference},
    )
    return redirect("request-detail", target.reference)


# --- detail ----------------------------------------------------------------------------------------------
def scoped_request(user, reference):
    return get_object_or_404(
        queries.visible(user).select_related(
            "case__version",
            "category__group",
            "requester_organisation",
            "requester",
            "dispatcher_unit",
            "duplicate_of",
        ),
        reference=reference,
    )


def requester_side(user, obj):
    profile = profile_of(user)
    return profile.is_commune or user.organisation_id == obj.requester_organisation_id


class ShareForm(django_forms.Form):
    """Show the request, read only, to one person outside its scope (procedures.actions.do_share_request)."""

    # A list to choose from; what is sent is still checked by the action (which names an unknown user).
    user = django_forms.CharField(
        label=gettext_lazy("Person"),
        max_length=150,
        widget=django_forms.Select,
        help_text=gettext_lazy("They will see this request, read only, until the share is taken back."),
    )
    reason = django_forms.CharField(
        label=gettext_lazy("Why (kept in the history)"), required=False, max_length=500
    )

    def __init__(self, *args, acting_user=None, exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].widget.choices = share_people_choices(acting_user, exclude)


def share_context(user, obj, roles, form=None):
    """The "Share" section and whether ``user`` reads the request only through a share (no role on it:
    no comment or file forms, internal comments and history hidden).

    The section shows to those who may share the case now (list and form) and, in any state (closed
    included), to whoever granted one of its shares (the list only). Each listed person carries
    ``may_unshare`` (procedures.actions.may_unshare_request: the same rule as the action), which puts
    the "Remove" button on their line."""
    if not obj.case_id:
        return {
            "can_share": False,
            "can_see_shares": False,
            "shares": [],
            "share_form": None,
            "shared_view": False,
        }
    can_share = actions.may_share_request(obj, user)
    can_see_shares = actions.may_see_request_shares(obj, user, may_share=can_share)
    shares = (
        list(actions.request_shared_with(obj).select_related("organisation", "unit"))
        if can_see_shares
        else []
    )
    for person in shares:
        person.may_unshare = actions.may_unshare_request(obj, user, person, may_share=can_share)
    shared_view = not roles and actions.request_shared_with(obj).filter(pk=user.pk).exists()
    return {
        "can_share": can_share,
        "can_see_shares": can_see_shares,
        "shares": shares,
        "share_form": (
            (form or ShareForm(prefix="share", acting_user=user, exclude=[person.pk for person in shares]))
            if can_share
            else None
        ),
        "shared_view": shared_view,
    }


def detail_context(request, obj, forms=None):
    user = request.user
    forms = forms or {}
    case = obj.case
    sharing = share_context(user, obj, roles_of(user, case) if case else set(), forms.get("share"))
    requester_view = requester_side(user, obj) or sharing["shared_view"]
    transitions = available_transitions(case, user) if case else []
    transition_forms = []
    for transition in transitions:
        form = forms.get(f"t-{transition.code}") or TransitionForm(transition=transition, request_obj=obj)
        transition_forms.append(
            {"info": transition, "label": localized(transition.label, transition.code), "form": form}
        )
    now = timezone.now()
    deadlines = []
    if case:
        spec = definition(case.version_id).get("deadlines", {})
        # alerts' answer clocks are shown with their alert, not as deadlines of the request
        request_deadlines = Deadline.objects.filter(case=case).exclude(kind__startswith="alert:")
        for deadline in request_deadlines.order_by("started_at"):
            deadlines.append(
                {
                    "label": localized(spec.get(deadline.kind, {}).get("label"), deadline.kind),
                    "deadline": deadline,
                    "overdue": deadline.state == DeadlineState.RUNNING
                    and deadline.due_at
                    and deadline.due_at < now,
                }
            )
    every_alert = (
        list(Alert.objects.filter(case=case).select_related("raised_by").order_by("-raised_at"))
        if case
        else []
    )
    # The urgency check is the DVQ's exchange with the commune; the other alerts (a deadline missed) are
    # the services' own business: listed apart, never to the requester side, never answered by it.
    alerts = [alert for alert in every_alert if alert.code == actions.URGENCY_CHECK]
    deadline_alerts = [] if requester_view else [a for a in every_alert if a.code != actions.URGENCY_CHECK]
    open_alert = next((alert for alert in alerts if alert.state != AlertState.CLOSED), None)
    profile = profile_of(user)
    comments = (
        Comment.objects.filter(case=case).select_related("author").order_by("created_at") if case else []
    )
    if case:
        comments = actions.comments_for(obj, user, comments)
    audit = []
    if case and not requester_view:
        audit = label_audit(
            case, AuditEntry.objects.filter(case=case).select_related("actor").order_by("at", "id")
        )
    candidates = []
    if not requester_view and obj.closed_at is None:
        candidates = [c for c in candidates_for(user, obj.category, obj.lon, obj.lat) if c.pk != obj.pk]
    return {
        "obj": obj,
        "state_label": state_label(case),
        "final": is_final(case),
        "requester_view": requester_view,
        "transitions": transition_forms,
        "deadlines": deadlines,
        "alerts": alerts,
        "open_alert": open_alert,
        "deadline_alerts": deadline_alerts,
        "can_raise_alert": profile.is_dvq and obj.urgency == Urgency.URGENT and open_alert is None and case,
        "can_answer_alert": open_alert is not None
        and requester_view
        and open_alert.state == AlertState.RAISED,
        "can_close_alert": open_alert is not None and profile.is_dvq,
        "alert_raise_form": forms.get("alert-raise") or AlertRaiseForm(),
        "alert_answer_form": forms.get("alert-answer") or AlertAnswerForm(),
        "alert_close_form": forms.get("alert-close") or AlertCloseForm(),
        "messages_to_commune": obj.messages.select_related("author").order_by("created_at", "id"),
        "comments": comments,
        "comment_form": forms.get("comment") or CommentForm(),
        "may_comment_internally": bool(case) and actions.may_comment_internally(obj, user),
        "reads_decision_notes": actions.may_read_decision_notes(user),
        "attachments": Attachment.objects.filter(case=case).select_related("author").order_by("created_at")
        if case
        else [],
        "attach_form": forms.get("attach") or AttachForm(),
        "audit": audit,
        "candidates": candidates,
        "criteria": obj.urgency_criteria.all(),
        "attributes": attribute_rows(obj),
        "followers": obj.followers.select_related("organisation"),
        "map_config": map_config(),
        "bbox": f"{obj.lon - 0.01},{obj.lat - 0.01},{obj.lon + 0.01},{obj.lat + 0.01}",
        "qualified": bool(case) and case.state not in queries.states_where("qualify"),
        **sharing,
        "can_take": actions.may_take_request(obj, user),
    }


def attribute_rows(obj):
    """The request's attribute values with their labels, in the category's order."""
    attributes = {attribute.code: attribute for attribute in obj.category.attributes.all()}
    rows = []
    for code, value in (obj.attributes or {}).items():
        attribute = attributes.get(code)
        if attribute is None:
            rows.append((code, ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
            continue
        items = value if isinstance(value, list) else [value]
        shown = ", ".join(
            attribute.choice_label(item) if isinstance(item, str) else str(item) for item in items
        )
        rows.append((attribute.localized_label, shown))
    return rows


@login_required
@require_GET
def request_detail(request, reference):
    obj = scoped_request(request.user, reference)
    return render(request, "web/requests/detail.html", detail_context(request, obj))


def rerender_with_error(request, obj, key, form, error):
    add_engine_errors(form, error)
    messages.error(
        request, str(error) if not isinstance(error, InvalidFields) else _("Please correct the form.")
    )
    return render(
        request,
        "web/requests/detail.html",
        detail_context(request, obj, {key: form}),
        status=error_status(error),
    )


def done(request, obj, message):
    messages.success(request, message)
    return redirect("request-detail", obj.reference)


@login_required
@require_POST
def request_transition(request, reference, code):
    obj = scoped_request(request.user, reference)
    transition = next((t for t in available_transitions(obj.case, request.user) if t.code == code), None)
    if transition is None:
        messages.error(request, _("This step is not possible now (the request may have changed meanwhile)."))
        return render(request, "web/requests/detail.html", detail_context(request, obj), status=400)
    form = TransitionForm(request.POST, transition=transition, request_obj=obj)
    if not form.is_valid():
        messages.error(request, _("Please correct the form."))
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {f"t-{code}": form}), status=400
        )
    fields = form.action_fields()
    reason = form.cleaned_data.get("reason", "")
    try:
        expected = request.POST.get("revision")
        actions.do_transition_request(
            obj,
            code,
            acting_user=request.user,
            fields=fields,
            reason=reason,
            expected_revision=int(expected) if expected and expected.isdigit() else None,
        )
    except EngineError as error:
        return rerender_with_error(request, obj, f"t-{code}", form, error)
    return done(request, obj, _("Done: %(step)s.") % {"step": localized(transition.label, code)})


@login_required
@require_POST
def request_comment(request, reference):
    obj = scoped_request(request.user, reference)
    form = CommentForm(request.POST)
    if not form.is_valid():
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {"comment": form}), status=400
        )
    try:
        actions.do_comment_request(
            obj,
            acting_user=request.user,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["internal"],
        )
    except EngineError as error:
        return rerender_with_error(request, obj, "comment", form, error)
    return done(request, obj, _("Your comment was added."))


@login_required
@require_POST
def request_attach(request, reference):
    obj = scoped_request(request.user, reference)
    form = AttachForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {"attach": form}), status=400
        )
    try:  # the action checks the file: type from its content, a name that agrees, the size limit
        actions.do_attach_to_request(
            obj,
            acting_user=request.user,
            file=form.cleaned_data["file"],
            description=form.cleaned_data["description"],
        )
    except EngineError as error:
        return rerender_with_error(request, obj, "attach", form, error)
    return done(request, obj, _("The file was attached."))


@login_required
@require_GET
def request_attachment(request, reference, attachment_id):
    obj = scoped_request(request.user, reference)
    attachment = get_object_or_404(Attachment, pk=attachment_id, case_id=obj.case_id)
    return attachment_response(attachment)  # its recorded type, nosniff, inline for images only


# --- one-off shares ----------------------------------------------------------------------------------------
@login_required
@require_POST
def request_share(request, reference):
    obj = scoped_request(request.user, reference)
    form = ShareForm(request.POST, prefix="share", acting_user=request.user)
    if not form.is_valid():
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {"share": form}), status=400
        )
    try:
        user, created = actions.do_share_request(
            obj, form.cleaned_data["user"], acting_user=request.user, reason=form.cleaned_data["reason"]
        )
    except EngineError as error:
        return rerender_with_error(request, obj, "share", form, error)
    if created:
        message = _("%(ref)s is now shared with %(user)s, read only.")
    else:
        message = _("%(ref)s was already shared with %(user)s.")
    return done(request, obj, message % {"ref": obj.reference, "user": user.get_full_name() or user.username})


@login_required
@require_POST
def request_unshare(request, reference, user_id):
    obj = scoped_request(request.user, reference)
    try:
        user = actions.do_unshare_request(obj, user_id, acting_user=request.user)
    except EngineError as error:
        text = " ".join(error.errors.values()) if isinstance(error, InvalidFields) else str(error)
        messages.error(request, text)
        return render(
            request, "web/requests/detail.html", detail_context(request, obj), status=error_status(error)
        )
    return done(
        request,
        obj,
        _("The share of %(ref)s with %(user)s was taken back.")
        % {"ref": obj.reference, "user": user.get_full_name() or user.username},
    )


# --- "Je prends": an agent takes the request ----------------------------------------------------------------
@login_required
@require_POST
def request_take(request, reference):
    """Put the signed-in agent in charge of the request (procedures.actions.do_take_request)."""
    obj = scoped_request(request.user, reference)
    try:
        actions.do_take_request(obj, acting_user=request.user)
    except EngineError as error:
        messages.error(request, str(error) or _("You cannot take this request."))
        return render(
            request, "web/requests/detail.html", detail_context(request, obj), status=error_status(error)
        )
    return done(request, obj, _("You are now in charge of %(ref)s.") % {"ref": obj.reference})


# --- the DVQ's urgency check -------------------------------------------------------------------------------
def _alert_step(request, reference, form_class, key, perform, success_message):
    """One step of the DVQ's urgency check: validate the form, call the action, re-render on refusal."""
    obj = scoped_request(request.user, reference)
    form = form_class(request.POST)
    if not form.is_valid():
        return render(
            request, "web/requests/detail.html", detail_context(request, obj, {key: form}), status=400
        )
    try:
        perform(obj, form.cleaned_data)
    except EngineError as error:
        return rerender_with_error(request, obj, key, form, error)
    return done(request, obj, success_message)


@login_required
@require_POST
def alert_raise(request, reference):
    return _alert_step(
        request,
        reference,
        AlertRaiseForm,
        "alert-raise",
        lambda obj, data: actions.do_raise_urgency_alert(
            obj, acting_user=request.user, reason=data["reason"]
        ),
        _("The urgency check was sent to the commune."),
    )


@login_required
@require_POST
def alert_answer(request, reference):
    return _alert_step(
        request,
        reference,
        AlertAnswerForm,
        "alert-answer",
        lambda obj, data: actions.do_justify_urgency(obj, acting_user=request.user, answer=data["answer"]),
        _("Your justification was sent to the DVQ."),
    )


def _close_alert(obj, data, user):
    close = (
        actions.do_uphold_urgency_alert if data["outcome"] == "upheld" else actions.do_dismiss_urgency_alert
    )
    close(obj, acting_user=user, note=data["note"])


@login_required
@require_POST
def alert_close(request, reference):
    return _alert_step(
        request,
        reference,
        AlertCloseForm,
        "alert-close",
        lambda obj, data: _close_alert(obj, data, request.user),
        _("The urgency check is closed."),
    )
