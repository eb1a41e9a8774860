"""Meetings: the list (upcoming and past), the month calendar, the detail, the invitee's answer, the
.ics, the documents, and each user's secret iCalendar feed."""

import calendar as month_calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from engine.errors import EngineError
from steering import actions, calendar, scope
from steering.models import Answer, Invitation, Meeting, MeetingDocument, MeetingKind, WorkshopTopic
from web.views_steering.common import add_errors, get_visible
from web.views_steering.meeting_forms import can_organise


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label=gettext_lazy("Your answer"),
        choices=[c for c in Answer.choices if c[0] != Answer.PENDING],
        widget=forms.RadioSelect,
    )
    represented_by = forms.CharField(
        label=gettext_lazy("Represented by"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Name and function of the person who will come in your place."),
    )


def _meetings(user):
    return scope.meetings_visible_to(user, Meeting.objects.select_related("kind")).order_by("starts_at", "pk")


@login_required
@require_GET
def meeting_list(request):
    meetings = _meetings(request.user)
    kind = request.GET.get("kind") or ""
    if kind:
        meetings = meetings.filter(kind__code=kind)
    now = timezone.now()
    context = {
        "upcoming": list(meetings.filter(ends_at__gte=now)[:100]),
        "past": list(meetings.filter(ends_at__lt=now).order_by("-starts_at")[:50]),
        "kinds": MeetingKind.objects.filter(is_active=True),
        "kind": kind,
        "can_create": actions.may_create_meeting(request.user),
        "missing_technical": actions.steering_committees_without_technical_committee(
            timezone.localdate().year
        )
        if scope.sees_everything(request.user)
        else [],
    }
    return render(request, "web/steering/meeting_list.html", context)


@login_required
@require_GET
def meeting_calendar(request):
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in (request.GET.get("month") or "").split("-"))
        first = date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    zone = ZoneInfo("Europe/Paris")
    days_in_month = month_calendar.monthrange(first.year, first.month)[1]
    start = datetime.combine(first, time.min, zone)
    end = start + timedelta(days=days_in_month)
    by_day = {}
    for meeting in _meetings(request.user).filter(starts_at__gte=start, starts_at__lt=end):
        by_day.setdefault(timezone.localtime(meeting.starts_at, zone).day, []).append(meeting)
    weeks = []
    for week in month_calendar.Calendar(firstweekday=0).monthdayscalendar(first.year, first.month):
        weeks.append(
            [
                {"day": d, "meetings": by_day.get(d, []), "today": first.replace(day=d) == today}
                if d
                else None
                for d in week
            ]
        )
    previous = (first - timedelta(days=1)).replace(day=1)
    following = first + timedelta(days=days_in_month)
    context = {
        "month": first,
        "weeks": weeks,
        "previous": f"{previous:%Y-%m}",
        "next": f"{following:%Y-%m}",
        "count": sum(len(v) for v in by_day.values()),
        "listed": [m for d in sorted(by_day) for m in by_day[d]],
        "weekdays": [
            (formats.date_format(date(2024, 1, i), "l"), formats.date_format(date(2024, 1, i), "D"))
            for i in range(1, 8)
        ],
    }
    return render(request, "web/steering/meeting_calendar.html", context)


def _detail(request, meeting, form=None, status=200):
    meeting = (
        Meeting.objects.select_related("kind", "organiser", "prepares")
        .prefetch_related(
            Prefetch("invitations", Invitation.objects.select_related("person__organisation")),
            "agenda_items__action",
            "decisions",
            "documents",
            "actions__owner_organisation",
            Prefetch("topics", WorkshopTopic.objects.select_related("proposed_by").order_by("-chosen", "pk")),
        )
        .get(pk=meeting.pk)
    )
    invitation = next((i for i in meeting.invitations.all() if i.person_id == request.user.pk), None)
    if form is None and invitation is not None:
        form = AnswerForm(
            initial={"answer": invitation.answer if invitation.answer != Answer.PENDING else None,
                     "represented_by": invitation.represented_by}
        )  # fmt: skip
    context = {
        "meeting": meeting,
        "invitation": invitation,
        "form": form,
        "can_answer": invitation is not None
        and meeting.status == "planned"
        and meeting.starts_at > timezone.now(),
        "sees_everything": scope.sees_everything(request.user),
        "to_answer": scope.questionnaires_visible_to(request.user).filter(meeting=meeting).first(),
        **can_organise(request.user, meeting),
    }
    return render(request, "web/steering/meeting_detail.html", context, status=status)


@login_required
@require_GET
def meeting_detail(request, pk):
    return _detail(request, get_visible(_meetings(request.user), pk))


@login_required
@require_POST
def meeting_answer(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    invitation = Invitation.objects.filter(meeting=meeting, person=request.user).first()
    form = AnswerForm(request.POST)
    if invitation is None:
        form.is_valid()
        form.add_error(None, _("You are not invited to this meeting."))
        return _detail(request, meeting, form, status=400)
    if form.is_valid():
        try:
            actions.do_answer_invitation(invitation, **form.cleaned_data, acting_user=request.user)
        except EngineError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("Your answer is recorded."))
            return redirect("steering-meeting", pk=meeting.pk)
    return _detail(request, meeting, form, status=400)


@login_required
@require_GET
def meeting_ics(request, pk):
    meeting = get_visible(_meetings(request.user), pk)
    response = HttpResponse(
        calendar.invitation_ics(calendar.snapshot(meeting)), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="reunion-{meeting.pk}.ics"'
    return response


@login_required
@require_GET
def meeting_document(request, pk, document_id):
    meeting = get_visible(_meetings(request.user), pk)
    document = get_visible(MeetingDocument.objects.filter(meeting=meeting), document_id)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.name,
        content_type=document.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def calendar_feed(request, key):
    """The secret feed: no login (calendar programs cannot log in); an unknown key is 404."""
    from django.http import Http404

    owner = actions.feed_owner(key)
    if owner is None:
        raise Http404
    since = timezone.now() - timedelta(days=365)
    meetings = scope.meetings_visible_to(owner, Meeting.objects.select_related("kind", "organiser")).filter(
        starts_at__gte=since
    )
    response = HttpResponse(
        calendar.feed_ics(meetings.order_by("starts_at")[:500]), content_type="text/calendar; charset=utf-8"
    )
    response["Cache-Control"] = "private, max-age=900"
    return response


@login_required
@require_POST
def calendar_feed_reset(request):
    key = actions.do_reset_calendar_feed(request.user, acting_user=request.user)
    url = request.build_absolute_uri(reverse("steering-feed", args=[key]))
    messages.success(
        request,
        _("Your calendar address (copy it now, it is shown only once; making a new one revokes it): %(url)s")
        % {"url": url},
    )
    return redirect("steering-meetings")
