"""The organiser's changes to a meeting's agenda (rename, move, remove an item) and the documents added
from the browser (agenda, slides, minutes: checked by their content by the action, as the API does)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from engine.errors import EngineError
from steering import actions, conf
from steering.models import AgendaItem, DocumentKind, MeetingStatus
from web.views_steering.common import add_errors, get_visible
from web.views_steering.meeting_forms import _form_page, _meetings, _refuse_unless


class AgendaItemForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Agenda item"), max_length=300)
    position = forms.IntegerField(
        label=gettext_lazy("Position on the agenda"),
        min_value=1,
        help_text=gettext_lazy("1 puts it first; the other items follow in their order."),
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of document"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy("PDF, OpenDocument (ODT, ODS, ODP) or Office (DOCX, XLSX, PPTX)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.odt,.ods,.odp,.docx,.xlsx,.pptx"}),
    )


def _item(request, pk, item_id):
    meeting = get_visible(_meetings(request.user), pk)
    item = get_visible(
        AgendaItem.objects.filter(meeting=meeting).select_related("meeting", "action"), item_id
    )
    _refuse_unless(actions.may_change_meeting(request.user, meeting))
    return meeting, item


@login_required
@require_http_methods(["GET", "POST"])
def agenda_item_edit(request, pk, item_id):
    meeting, item = _item(request, pk, item_id)
    form = AgendaItemForm(request.POST or None, initial={"title": item.title, "position": item.position})
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_change_agenda_item(item, **form.cleaned_data, acting_user=request.user)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The agenda item is changed."))
            return redirect("steering-meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        heading=_("Change an agenda item of “%(title)s”") % {"title": meeting.title},
        submit=_("Save the agenda item"),
        back=reverse("steering-meeting", args=[meeting.pk]),
        meeting=meeting,
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def agenda_item_remove(request, pk, item_id):
    meeting, item = _item(request, pk, item_id)
    try:
        actions.do_remove_agenda_item(item, acting_user=request.user)
    except EngineError as exc:
        messages.error(request, " ".join(map(str, getattr(exc, "errors", {}).values())) or str(exc))
    else:
        messages.success(request, _("“%(title)s” is taken off the agenda.") % {"title": item.title})
    return redirect("steering-meeting", pk=meeting.pk)


@login_required
@require_http_methods(["GET", "POST"])
def document_new(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    _refuse_unless(
        actions.may_change_meeting(request.user, meeting) and meeting.status != MeetingStatus.CANCELLED
    )
    form = DocumentForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_attach_meeting_document(
                meeting,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
                acting_user=request.user,
            )
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("The document is added to the meeting."))
            return redirect("steering-meeting", pk=meeting.pk)
    from engine.attachments import human_size

    return _form_page(
        request,
        form,
        heading=_("Add a document to “%(title)s”") % {"title": meeting.title},
        submit=_("Add the document"),
        back=reverse("steering-meeting", args=[meeting.pk]),
        meeting=meeting,
        status=400 if form.is_bound else 200,
        intro=_("Its content is checked: the name must say what it is. %(limit)s at most.")
        % {"limit": human_size(conf.get("STEERING_DOCUMENT_MAX_BYTES"))},
    )
