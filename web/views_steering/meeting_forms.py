"""The organiser's meeting forms: create, change (with more invitees and agenda items), send the
invitations, cancel, record the minutes (attendance, decisions) and an action from a decision. Every rule
is in ``steering.actions``: these views translate the fields and show the action's refusal on them."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from directory.models import Organisation, User
from engine.errors import EngineError
from steering import actions, scope
from steering.models import WORKSHOP, Decision, Meeting, MeetingKind
from web.views_steering.common import add_errors, get_visible
from web.views_steering.invitee_picker import SEARCH_BUTTON, initial_from, picker_choices

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


def _when(label):
    return forms.DateTimeField(
        label=label,
        input_formats=[LOCAL_INPUT, "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
    )


def _lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _organisation_choices():
    return [(o.pk, o.name) for o in Organisation.objects.order_by("name")]


def _people_choices():
    people = User.objects.filter(is_active=True).select_related("organisation")
    return [
        (u.pk, f"{u.get_full_name() or u.username} ({u.organisation.name})" if u.organisation_id else
         (u.get_full_name() or u.username))
        for u in people.order_by("last_name", "first_name", "username")
    ]  # fmt: skip


class MeetingForm(forms.Form):
    kind = forms.ModelChoiceField(
        label=gettext_lazy("Kind of meeting"), queryset=MeetingKind.objects.filter(is_active=True)
    )
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    starts_at = _when(gettext_lazy("Start (date and time)"))
    ends_at = _when(gettext_lazy("End (date and time)"))
    place = forms.CharField(
        label=gettext_lazy("Place"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("A place or a video link, or both."),
    )
    video_url = forms.URLField(label=gettext_lazy("Video link"), required=False, assume_scheme="https")
    invited_organisations = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Invited organisations"),
        coerce=int,
        required=False,
        help_text=gettext_lazy("Their GUP referents are invited (all their members if they have none)."),
    )
    people_search = forms.CharField(
        label=gettext_lazy("Find people to invite"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Part of a name, of an organisation or of an e-mail address."),
    )
    invited_people = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Invited people"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One item per line."),
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invited_organisations"].choices = _organisation_choices()
        if self.is_bound and SEARCH_BUTTON not in self.data:  # sent: any active person is valid
            self.fields["invited_people"].choices = _people_choices()
            self.picker_summary = ""
        else:  # the picker: the ticked people and those matching the search
            source = self.data if self.is_bound else self.initial
            selected = (
                source.getlist("invited_people")
                if hasattr(source, "getlist")
                else source.get("invited_people")
            )
            query = source.get("people_search") or ""
            self.fields["invited_people"].choices, self.picker_summary = picker_choices(query, selected)
        if editing:
            self.fields["invited_organisations"].label = _("Organisations to invite as well")
            self.fields["invited_people"].label = _("People to invite as well")
            self.fields["agenda"].label = _("Agenda items to add")


def _meetings(user):
    return scope.meetings_visible_to(user, Meeting.objects.select_related("kind"))


def _form_page(request, form, *, heading, submit, back, meeting=None, status=200, intro=""):
    context = {
        "form": form,
        "heading": heading,
        "submit": submit,
        "back": back,
        "meeting": meeting,
        "intro": intro,
    }
    return render(request, "web/steering/meeting_form.html", context, status=status)


def _refuse_unless(allowed):
    if not allowed:
        raise PermissionDenied(_("You may not organise meetings."))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request):
    _refuse_unless(actions.may_create_meeting(request.user))
    searching = SEARCH_BUTTON in request.POST
    if searching:  # the picker's search without JavaScript: the same form, nothing saved
        form = MeetingForm(initial=initial_from(request.POST, MeetingForm))
    else:
        form = MeetingForm(request.POST or None)
    if request.method == "POST" and not searching and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("people_search", None)
        data["agenda"] = _lines(data["agenda"])
        try:
            meeting = actions.do_create_meeting(**data, acting_user=request.user)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The meeting is created. Send its invitations when it is ready."))
            return redirect("steering-meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        heading=_("New meeting"),
        submit=_("Create the meeting"),
        back=reverse("steering-meetings"),
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    _refuse_unless(actions.may_change_meeting(request.user, meeting))
    initial = {
        f: getattr(meeting, f) for f in ("kind", "title", "starts_at", "ends_at", "place", "video_url")
    }
    searching = SEARCH_BUTTON in request.POST
    if searching:  # the picker's search without JavaScript: the same form, nothing saved
        form = MeetingForm(initial=initial_from(request.POST, MeetingForm), editing=True)
    else:
        form = MeetingForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and not searching and form.is_valid():
        data = form.cleaned_data
        changes = {f: data[f] for f in initial}
        try:
            with transaction.atomic():  # one change for the organiser: all of it or nothing
                actions.do_update_meeting(meeting, changes=changes, acting_user=request.user)
                meeting.refresh_from_db()
                if data["invited_people"] or data["invited_organisations"]:
                    actions.do_invite_people(
                        meeting,
                        people=data["invited_people"],
                        organisations=data["invited_organisations"],
                        acting_user=request.user,
                    )
                for title in _lines(data["agenda"]):
                    actions.do_add_agenda_item(meeting, title=title, acting_user=request.user)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The meeting is updated."))
            return redirect("steering-meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        heading=_("Change the meeting"),
        submit=_("Save the changes"),
        back=reverse("steering-meeting", args=[meeting.pk]),
        meeting=meeting,
        status=400 if form.is_bound else 200,
        intro=_("Once the invitations are sent, a change of time or place e-mails an update to everyone.")
        if meeting.invitations_sent_at
        else "",
    )


@login_required
@require_POST
def meeting_send(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    try:
        actions.do_send_invitations(meeting, acting_user=request.user)
    except EngineError as exc:
        messages.error(request, " ".join(map(str, getattr(exc, "errors", {}).values())) or str(exc))
    else:
        messages.success(request, _("The invitations are being sent, with the meeting's .ics file."))
    return redirect("steering-meeting", pk=meeting.pk)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (told in the audit trail)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    _refuse_unless(actions.may_change_meeting(request.user, meeting))
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_cancel_meeting(meeting, **form.cleaned_data, acting_user=request.user)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The meeting is cancelled."))
            return redirect("steering-meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        heading=_("Cancel the meeting “%(title)s”") % {"title": meeting.title},
        submit=_("Cancel the meeting"),
        back=reverse("steering-meeting", args=[meeting.pk]),
        meeting=meeting,
        status=400 if form.is_bound else 200,
        intro=_("If the invitations were sent, everyone invited is told by e-mail."),
    )


class MinutesForm(forms.Form):
    minutes = forms.CharField(label=gettext_lazy("Minutes"), widget=forms.Textarea(attrs={"rows": 8}))
    attended = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Present"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    decisions = forms.CharField(
        label=gettext_lazy("Decisions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("One decision per line; they are added to those already recorded."),
    )

    def __init__(self, *args, meeting, **kwargs):
        super().__init__(*args, **kwargs)
        invitations = meeting.invitations.select_related("person__organisation").order_by("person__last_name")
        self.fields["attended"].choices = [
            (i.person_id, f"{i.person.get_full_name() or i.person.username}"
             + (f" ({i.person.organisation.name})" if i.person.organisation_id else ""))
            for i in invitations
        ]  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def meeting_minutes(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    _refuse_unless(actions.may_change_meeting(request.user, meeting))
    initial = {
        "minutes": meeting.minutes,
        "attended": list(meeting.invitations.filter(attended=True).values_list("person_id", flat=True)),
    }
    form = MinutesForm(request.POST or None, initial=initial, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_hold_meeting(
                meeting,
                minutes=data["minutes"],
                attended=data["attended"],
                decisions=_lines(data["decisions"]),
                acting_user=request.user,
            )
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The minutes are recorded."))
            return redirect("steering-meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        heading=_("Minutes of “%(title)s”") % {"title": meeting.title},
        submit=_("Record the minutes"),
        back=reverse("steering-meeting", args=[meeting.pk]),
        meeting=meeting,
        status=400 if form.is_bound else 200,
    )


class DecisionActionForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Action"), max_length=300)
    owner_organisation = forms.TypedChoiceField(label=gettext_lazy("Organisation in charge"), coerce=int)
    owner_person = forms.TypedChoiceField(
        label=gettext_lazy("Person in charge"), coerce=int, required=False, empty_value=None
    )
    due_date = forms.DateField(
        label=gettext_lazy("Due date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_organisation"].choices = [("", "—"), *_organisation_choices()]
        self.fields["owner_person"].choices = [("", "—"), *_people_choices()]


@login_required
@require_http_methods(["GET", "POST"])
def decision_action(request, pk, decision_id):
    meeting = get_visible(_meetings(request.user), pk)
    decision = get_visible(Decision.objects.filter(meeting=meeting), decision_id)
    if not actions.may_create_action(request.user):
        raise PermissionDenied(_("You may not create actions."))
    form = DecisionActionForm(request.POST or None, initial={"title": decision.text[:300]})
    if request.method == "POST" and form.is_valid():
        try:
            action = actions.do_create_action(
                **form.cleaned_data, decision=decision, acting_user=request.user
            )
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The action is created; it will be on the next meeting's agenda."))
            return redirect("steering-action", pk=action.pk)
    return _form_page(
        request,
        form,
        heading=_("New action from a decision"),
        submit=_("Create the action"),
        back=reverse("steering-meeting", args=[meeting.pk]),
        meeting=meeting,
        status=400 if form.is_bound else 200,
        intro=_("Decision: %(text)s") % {"text": decision.text},
    )


def can_organise(user, meeting):
    """What the detail page offers the organiser (the actions decide again on each change)."""
    planned = meeting.status == "planned"
    return {
        "can_change": planned and actions.may_change_meeting(user, meeting),
        "can_send": planned
        and meeting.starts_at > timezone.now()
        and actions.may_send_invitations(user, meeting),
        "can_record": meeting.status != "cancelled"
        and meeting.starts_at <= timezone.now()
        and actions.may_change_meeting(user, meeting),
        "can_take_observation_topics": planned
        and meeting.starts_at > timezone.now()
        and actions.may_take_observation_topic(user, meeting),
        "can_add_document": meeting.status != "cancelled" and actions.may_change_meeting(user, meeting),
        "can_create_action": actions.may_create_action(user),
        "is_workshop": meeting.kind.code == WORKSHOP,
        "can_propose": meeting.kind.code == WORKSHOP
        and planned
        and meeting.starts_at > timezone.now()
        and actions.may_propose_topic(user, meeting),
        "can_choose": meeting.kind.code == WORKSHOP and actions.may_change_meeting(user, meeting),
    }
