"""Taking a topic suggested by the observation figures (``steering.observation_topics``) for a planned
meeting: a partner workshop gets it as a chosen topic, any other meeting as an agenda item; either keeps
the figures (``evidence``) and links to the requests behind them. The suggestions are computed again
here, so only a suggestion that holds today, in the organiser's scope, can be taken."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from steering.actions.common import audit, check, invalid
from steering.actions.meetings import may_change_meeting
from steering.models import WORKSHOP, AgendaItem, Meeting, MeetingStatus, WorkshopTopic
from steering.observation_topics import suggestions


def may_take_observation_topic(user, meeting):
    return may_change_meeting(user, meeting)


def do_take_observation_topic(meeting, *, key, acting_user, today=None):
    check(may_take_observation_topic(acting_user, meeting), _("You may not change this meeting."))
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("kind").get(pk=meeting.pk)
        if meeting.status != MeetingStatus.PLANNED or meeting.starts_at <= timezone.now():
            invalid(key=_("Topics are added to a meeting still to come."))
        found = {s.key: s for s in suggestions(acting_user, today)}.get(key)
        if found is None:
            invalid(key=_("This suggestion does not hold any more: the figures have changed."))
        taken = meeting.topics if meeting.kind.code == WORKSHOP else meeting.agenda_items
        if taken.filter(evidence__key=key).exists():
            invalid(key=_("This topic is already taken for this meeting."))
        evidence = found.evidence()
        if meeting.kind.code == WORKSHOP:
            made = WorkshopTopic.objects.create(
                meeting=meeting,
                title=found.title[:300],
                description=found.summary,
                proposed_by=acting_user,
                chosen=True,
                evidence=evidence,
            )
        else:
            position = (meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0) + 1
            made = AgendaItem.objects.create(
                meeting=meeting, position=position, title=found.title[:300], evidence=evidence
            )
        audit(
            "observation_topic_taken",
            f"meeting:{meeting.pk}",
            acting_user,
            key=key,
            as_topic=meeting.kind.code == WORKSHOP,
            made=made.pk,
            before=found.before,
            now=found.now,
        )
    return made
