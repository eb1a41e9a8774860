"""Request pages: the detail page, its steps, comments and files."""

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts import actions as account_actions
from engine.attachments import attachment_response
from engine.errors import EngineError, InvalidFields
from engine.models import Alert, AlertState, Attachment, AuditEntry, Comment, Deadline, DeadlineState
from engine.queries import available_transitions, roles_of
from procedures import actions
from procedures.models import Urgency
from web import queries
from web.forms import (
    AlertAnswerForm,
    AlertCloseForm,
    AlertRaiseForm,
    AttachForm,
    CommentForm,
    TransitionForm,
    add_engine_errors,
    share_people_choices,
)
from web.labels import definition, is_final, label_audit, localized, state_label
from web.nav import profile_of
from web.views_map import map_config
from web.views_requests._common import error_status
from web.views_requests.filing import candidates_for


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


def marks_context(user, obj, comments, messages_to_commune):
    """The request's marks for the page: ``description_mark``, ``note_mark``, and ``personal_mark`` set
    on each comment and message (each mark carrying ``may_unmark``)."""
    marks = account_actions.marks_of(obj)
    for mark in marks.values():
        mark.may_unmark = account_actions.may_unmark_personal_data(user, mark)
    for comment in comments:
        comment.personal_mark = marks.get(("comment", comment.pk))
    for message in messages_to_commune:
        message.personal_mark = marks.get(("message", message.pk))
    return {
        "description_mark": marks.get(("description", obj.pk)),
        "note_mark": marks.get(("resolution_note", obj.pk)),
        "may_mark_texts": not hasattr(obj, "retention_record"),
    }


def detail_context(request, obj, forms=None):
    from web.views_requests.fines import fine_context  # its view re-renders this page
    from web.views_requests.time_spent import time_spent_context  # likewise

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
    comments = list(comments)
    messages_to_commune = list(obj.messages.select_related("author").order_by("created_at", "id"))
    marks = marks_context(user, obj, comments, messages_to_commune)
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
        "messages_to_commune": messages_to_commune,
        **marks,
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
        **fine_context(request, obj, forms.get("fine")),
        **time_spent_context(request, obj, forms.get("time_spent")),
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
        account_actions.do_transition_request_marking(
            obj,
            code,
            acting_user=request.user,
            personal_data=form.cleaned_data.get("personal_data", False),
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
        account_actions.do_comment_request_marking(
            obj,
            acting_user=request.user,
            body=form.cleaned_data["body"],
            internal=form.cleaned_data["internal"],
            personal_data=form.cleaned_data["personal_data"],
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
