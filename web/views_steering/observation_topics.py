"""Topics pulled in from the observation figures for a planned meeting: the organiser sees the
categories, communes and handler units whose on-time share dropped, with their figures and the link to
the requests behind them, and takes the ones to discuss (``steering.actions.do_take_observation_topic``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from engine.errors import EngineError
from steering import actions, observation_topics
from steering.models import WORKSHOP
from web.views_steering.common import get_visible
from web.views_steering.meeting_forms import _meetings, _refuse_unless


@login_required
@require_http_methods(["GET", "POST"])
def observation_topics_page(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    _refuse_unless(actions.may_take_observation_topic(request.user, meeting))
    if request.method == "POST":
        try:
            actions.do_take_observation_topic(
                meeting, key=request.POST.get("key") or "", acting_user=request.user
            )
        except EngineError as exc:
            messages.error(request, " ".join(map(str, getattr(exc, "errors", {}).values())) or str(exc))
            return redirect("steering-observation-topics", pk=meeting.pk)
        messages.success(
            request,
            _("The topic is chosen for the workshop.")
            if meeting.kind.code == WORKSHOP
            else _("The topic is added to the agenda."),
        )
        return redirect("steering-meeting", pk=meeting.pk)
    taken = {
        (item.evidence or {}).get("key")
        for item in (meeting.topics.all() if meeting.kind.code == WORKSHOP else meeting.agenda_items.all())
    }
    rows = [
        {
            "suggestion": s,
            "query": urlencode(s.query),
            "taken": s.key in taken,
            "before": round(s.before * 100),
            "now": round(s.now * 100),
        }
        for s in observation_topics.suggestions(request.user)
    ]
    last, previous = observation_topics.periods()
    context = {
        "meeting": meeting,
        "rows": rows,
        "last": last,
        "previous": previous,
        "min_drop": round(observation_topics.MIN_DROP * 100),
        "is_workshop": meeting.kind.code == WORKSHOP,
    }
    return render(request, "web/steering/observation_topics.html", context)
