"""Workshop topics: any partner who sees a partner workshop proposes a topic; the organiser chooses the
ones kept (or sets one aside again). The rules are in ``steering.actions``."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from engine.errors import EngineError
from steering import actions, scope
from steering.models import Meeting, WorkshopTopic
from web.views_steering.common import add_errors, get_visible
from web.views_steering.meeting_forms import _form_page


class TopicForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Topic"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Why this topic (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


def _meetings(user):
    return scope.meetings_visible_to(user, Meeting.objects.select_related("kind"))


@login_required
@require_http_methods(["GET", "POST"])
def topic_propose(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    if not actions.may_propose_topic(request.user, meeting):
        raise PermissionDenied(_("You may not propose a topic."))
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_propose_topic(meeting, **form.cleaned_data, acting_user=request.user)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Thank you: your topic is proposed to the organiser."))
            return redirect("steering-meeting", pk=meeting.pk)
    return _form_page(
        request,
        form,
        heading=_("Propose a topic for “%(title)s”") % {"title": meeting.title},
        submit=_("Propose the topic"),
        back=reverse("steering-meeting", args=[meeting.pk]),
        meeting=meeting,
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def topic_choose(request, pk, topic_id):
    meeting = get_visible(_meetings(request.user), pk)
    topic = get_visible(WorkshopTopic.objects.filter(meeting=meeting), topic_id)
    chosen = request.POST.get("chosen") != "0"
    try:
        actions.do_choose_topic(topic, chosen=chosen, acting_user=request.user)
    except EngineError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The topic is chosen.") if chosen else _("The topic is set aside."))
    return redirect("steering-meeting", pk=meeting.pk)
