"""Meetings: create, change, invite, answer, cancel, hold (minutes, attendance, decisions), documents.

E-mails (invitations, updates, cancellations, each with its ``.ics``) are outbox events written in the
same transaction: a refused change sends nothing. Their payload is a snapshot of the meeting
(``steering.calendar.snapshot``), so that a late delivery still sends what was true then."""

import zoneinfo

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from directory.models import Organisation, User
from directory.roles import Role
from steering import calendar
from steering.actions.common import audit, check, emit, invalid, is_organiser
from steering.models import (
    OPEN_ACTION_STATUSES,
    STEERING_COMMITTEE,
    TECHNICAL_COMMITTEE,
    Action,
    AgendaItem,
    Answer,
    Decision,
    DocumentKind,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingKind,
    MeetingStatus,
)
from steering.uploads import check_document

EDITABLE = ("title", "starts_at", "ends_at", "time_zone", "place", "video_url", "kind", "prepares")
CALENDAR_FIELDS = ("title", "starts_at", "ends_at", "time_zone", "place", "video_url")


def _target(meeting):
    return f"meeting:{meeting.pk}"


def _value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "pk"):
        return value.pk
    return value


def may_create_meeting(user):
    return is_organiser(user)


def may_change_meeting(user, meeting):
    return is_organiser(user)


def _validate(meeting):
    errors = {}
    if not (meeting.title or "").strip():
        errors["title"] = _("A meeting needs a title.")
    if meeting.starts_at is None or timezone.is_naive(meeting.starts_at):
        errors["starts_at"] = _("Give the start date and time with its time zone.")
    if meeting.ends_at is None or timezone.is_naive(meeting.ends_at):
        errors["ends_at"] = _("Give the end date and time with its time zone.")
    elif meeting.starts_at is not None and "starts_at" not in errors and meeting.ends_at <= meeting.starts_at:
        errors["ends_at"] = _("The end must be after the start.")
    try:
        zoneinfo.ZoneInfo(meeting.time_zone or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["time_zone"] = _("Unknown time zone: %(zone)s.") % {"zone": meeting.time_zone}
    if not meeting.place.strip() and not meeting.video_url.strip():
        errors["place"] = _("Give a place or a video link.")
    prepared = meeting.prepares
    if prepared is not None:
        if meeting.kind.code != TECHNICAL_COMMITTEE:
            errors["prepares"] = _("Only a technical committee prepares a steering committee.")
        elif prepared.kind.code != STEERING_COMMITTEE:
            errors["prepares"] = _(
                "A technical committee prepares a steering committee, not another meeting."
            )
        elif "starts_at" not in errors and meeting.starts_at >= prepared.starts_at:
            errors["prepares"] = _("The technical committee must take place before the steering committee.")
    if errors:
        invalid(**errors)


def _people(ids, field):
    ids = sorted({int(pk) for pk in ids or ()})
    people = list(User.objects.filter(pk__in=ids, is_active=True).select_related("organisation"))
    unknown = sorted(set(ids) - {p.pk for p in people})
    if unknown:
        invalid(**{field: _("Unknown person: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}})
    return people


def _organisations(ids, field):
    ids = sorted({int(pk) for pk in ids or ()})
    found = list(Organisation.objects.filter(pk__in=ids))
    unknown = sorted(set(ids) - {o.pk for o in found})
    if unknown:
        invalid(**{field: _("Unknown organisation: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}})
    return found


def _referents_of(organisations):
    """Who is invited for an organisation: its GUP referents, or all its active users if it has none."""
    people = []
    for organisation in organisations:
        users = list(User.objects.filter(organisation=organisation, is_active=True).order_by("pk"))
        referents = [u for u in users if u.has_role(Role.REFERENT)]
        people += referents or users
    return people


def _carry_open_actions(meeting):
    """Put the open actions of the earlier meetings of the same kind on this meeting's agenda."""
    actions = Action.objects.filter(
        meeting__kind_id=meeting.kind_id,
        meeting__starts_at__lt=meeting.starts_at,
        status__in=OPEN_ACTION_STATUSES,
    ).exclude(agenda_items__meeting=meeting)
    position = (meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0) + 1
    items = []
    for action in actions.order_by("due_date", "pk"):
        items.append(
            AgendaItem(
                meeting=meeting,
                position=position,
                title=_("Follow-up: %(title)s") % {"title": action.title},
                action=action,
            )
        )
        action.discussed_at.add(meeting)
        position += 1
    AgendaItem.objects.bulk_create(items)
    return len(items)


def do_create_meeting(
    *,
    kind,
    title,
    starts_at,
    ends_at,
    acting_user,
    time_zone="Europe/Paris",
    place="",
    video_url="",
    prepares=None,
    invited_organisations=(),
    invited_people=(),
    agenda=(),
):
    """Create a planned meeting, its invitations (not sent yet) and its agenda, with the open actions of
    the earlier meetings of the same kind carried onto it."""
    check(may_create_meeting(acting_user), _("You may not organise meetings."))
    if not isinstance(kind, MeetingKind):
        kind = MeetingKind.objects.filter(code=kind, is_active=True).first() or invalid(
            kind=_("Unknown meeting kind.")
        )
    meeting = Meeting(
        kind=kind,
        title=title or "",
        starts_at=starts_at,
        ends_at=ends_at,
        time_zone=time_zone or "Europe/Paris",
        place=place or "",
        video_url=video_url or "",
        organiser=acting_user,
        prepares=prepares,
    )
    _validate(meeting)
    organisations = _organisations(invited_organisations, "invited_organisations")
    people = _people(invited_people, "invited_people")
    with transaction.atomic():
        meeting.save()
        meeting.invited_organisations.set(organisations)
        invitees = {p.pk: p for p in [*people, *_referents_of(organisations)]}
        Invitation.objects.bulk_create([Invitation(meeting=meeting, person=p) for p in invitees.values()])
        AgendaItem.objects.bulk_create(
            [
                AgendaItem(meeting=meeting, position=i, title=t)
                for i, t in enumerate(agenda or (), 1)
                if t.strip()
            ]
        )
        carried = _carry_open_actions(meeting)
        audit(
            "meeting_created",
            _target(meeting),
            acting_user,
            kind=kind.code,
            title=meeting.title,
            starts_at=meeting.starts_at.isoformat(),
            invited=sorted(invitees),
            actions_carried=carried,
        )
    return meeting


def _send(meeting, kind, invitations):
    people = [inv.person_id for inv in invitations]
    if people:
        emit(kind, meeting=meeting.pk, users=people, event=calendar.snapshot(meeting))


def may_send_invitations(user, meeting):
    return is_organiser(user)


def do_send_invitations(meeting, *, acting_user):
    """E-mail the invitations with the ``.ics``: refused for a meeting in the past or cancelled."""
    check(may_send_invitations(acting_user, meeting), _("You may not invite to this meeting."))
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != MeetingStatus.PLANNED:
            invalid(status=_("Only a planned meeting can be sent."))
        if meeting.starts_at <= timezone.now():
            invalid(starts_at=_("This meeting is in the past: invitations cannot be sent."))
        invitations = list(meeting.invitations.all())
        if not invitations:
            invalid(invited_people=_("Invite at least one person or organisation."))
        meeting.invitations_sent_at = timezone.now()
        meeting.save(update_fields=["invitations_sent_at"])
        _send(meeting, "steering.meeting_invited", invitations)
        audit("invitations_sent", _target(meeting), acting_user, people=[i.person_id for i in invitations])
    return meeting


def do_invite_people(meeting, *, people=(), organisations=(), acting_user):
    """Add invitees; once invitations are out, the new ones get theirs at once."""
    check(may_change_meeting(acting_user, meeting), _("You may not invite to this meeting."))
    if meeting.status != MeetingStatus.PLANNED:
        invalid(status=_("Only a planned meeting can be changed."))
    people = _people(people, "invited_people")
    organisations = _organisations(organisations, "invited_organisations")
    with transaction.atomic():
        meeting.invited_organisations.add(*organisations)
        known = set(meeting.invitations.values_list("person_id", flat=True))
        new = {p.pk: p for p in [*people, *_referents_of(organisations)] if p.pk not in known}
        created = Invitation.objects.bulk_create(
            [Invitation(meeting=meeting, person=p) for p in new.values()]
        )
        if meeting.invitations_sent_at and created:
            if meeting.starts_at <= timezone.now():
                invalid(starts_at=_("This meeting is in the past: invitations cannot be sent."))
            _send(meeting, "steering.meeting_invited", created)
        audit("people_invited", _target(meeting), acting_user, people=sorted(new))
    return created


def do_update_meeting(meeting, *, changes, acting_user):
    """Change a planned meeting; when its time or place changed and invitations are out, everybody gets
    the update (``.ics`` with a higher SEQUENCE)."""
    check(may_change_meeting(acting_user, meeting), _("You may not change this meeting."))
    if meeting.status != MeetingStatus.PLANNED:
        invalid(status=_("Only a planned meeting can be changed."))
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        invalid(**{field: _("This field cannot be changed.") for field in sorted(unknown)})
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        old = {f: _value(getattr(meeting, f)) for f in changes}
        for field, value in changes.items():
            setattr(meeting, field, value if value is not None or field == "prepares" else "")
        _validate(meeting)
        new = {f: _value(getattr(meeting, f)) for f in changes}
        changed = sorted(f for f in changes if old[f] != new[f])
        if not changed:
            return meeting
        notify = meeting.invitations_sent_at is not None and any(f in CALENDAR_FIELDS for f in changed)
        if notify:
            if meeting.starts_at <= timezone.now():
                invalid(starts_at=_("This meeting is in the past: invitations cannot be sent."))
            meeting.sequence += 1
        meeting.save()
        if notify:
            _send(meeting, "steering.meeting_updated", list(meeting.invitations.all()))
        audit(
            "meeting_changed",
            _target(meeting),
            acting_user,
            old={f: old[f] for f in changed},
            new={f: new[f] for f in changed},
        )
    return meeting


def do_cancel_meeting(meeting, *, reason="", acting_user):
    check(may_change_meeting(acting_user, meeting), _("You may not cancel this meeting."))
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != MeetingStatus.PLANNED:
            invalid(status=_("Only a planned meeting can be cancelled."))
        meeting.status = MeetingStatus.CANCELLED
        meeting.sequence += 1
        meeting.save(update_fields=["status", "sequence"])
        if meeting.invitations_sent_at:
            _send(meeting, "steering.meeting_cancelled", list(meeting.invitations.all()))
        audit("meeting_cancelled", _target(meeting), acting_user, reason=reason[:1000])
    return meeting


def may_answer_invitation(user, invitation):
    return user is not None and user.is_active and (user.pk == invitation.person_id or is_organiser(user))


def do_answer_invitation(invitation, *, answer, represented_by="", acting_user):
    """Attending, not attending, or represented by someone (named)."""
    check(may_answer_invitation(acting_user, invitation), _("You may not answer for this person."))
    if answer not in (Answer.ATTENDING, Answer.NOT_ATTENDING, Answer.REPRESENTED):
        invalid(answer=_("Answer attending, not attending or represented."))
    represented_by = (represented_by or "").strip()
    if answer == Answer.REPRESENTED and not represented_by:
        invalid(represented_by=_("Say who will represent you."))
    meeting = invitation.meeting
    if meeting.status != MeetingStatus.PLANNED or meeting.starts_at <= timezone.now():
        invalid(answer=_("This meeting has started, is over or was cancelled: it can no longer be answered."))
    with transaction.atomic():
        old = invitation.answer
        invitation.answer = answer
        invitation.represented_by = represented_by if answer == Answer.REPRESENTED else ""
        invitation.answered_at = timezone.now()
        invitation.save(update_fields=["answer", "represented_by", "answered_at"])
        audit(
            "invitation_answered",
            _target(meeting),
            acting_user,
            person=invitation.person_id,
            old=old,
            new=answer,
            represented_by=invitation.represented_by,
        )
    return invitation


def do_hold_meeting(meeting, *, minutes, attended=(), decisions=(), acting_user):
    """Record that the meeting took place: the minutes, who attended (person ids), the decisions."""
    check(may_change_meeting(acting_user, meeting), _("You may not record the minutes of this meeting."))
    if meeting.status == MeetingStatus.CANCELLED:
        invalid(status=_("This meeting was cancelled."))
    if meeting.starts_at > timezone.now():
        invalid(minutes=_("The meeting has not started yet: its minutes cannot be recorded."))
    attended = {int(pk) for pk in attended or ()}
    invited = set(meeting.invitations.values_list("person_id", flat=True))
    if attended - invited:
        invalid(attended=_("Only invited people can be marked as present."))
    decisions = [d.strip() for d in decisions or () if d and d.strip()]
    with transaction.atomic():
        meeting.status = MeetingStatus.HELD
        meeting.minutes = minutes or ""
        meeting.save(update_fields=["status", "minutes"])
        meeting.invitations.update(attended=False)
        meeting.invitations.filter(person_id__in=attended).update(attended=True)
        start = (meeting.decisions.aggregate(m=Max("position"))["m"] or 0) + 1
        created = Decision.objects.bulk_create(
            [Decision(meeting=meeting, position=start + i, text=text) for i, text in enumerate(decisions)]
        )
        audit(
            "meeting_held",
            _target(meeting),
            acting_user,
            attended=sorted(attended),
            decisions=[d.text[:200] for d in created],
        )
    return list(meeting.decisions.all())


def do_attach_meeting_document(meeting, *, upload, kind="other", acting_user):
    """Store an agenda, slides or minutes (PDF or office file recognised by its content)."""
    from django.core.exceptions import ValidationError

    check(may_change_meeting(acting_user, meeting), _("You may not add documents to this meeting."))
    if kind not in DocumentKind.values:
        invalid(kind=_("Unknown kind of document: %(kind)s.") % {"kind": kind})
    try:
        checked = check_document(upload)
    except ValidationError as exc:
        invalid(file=" ".join(exc.messages))
    with transaction.atomic():
        document = MeetingDocument(
            meeting=meeting,
            kind=kind,
            name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            uploaded_by=acting_user,
        )
        upload.seek(0)
        document.file.save(checked.name, upload, save=False)
        document.save()
        audit("document_added", _target(meeting), acting_user, name=checked.name, kind=kind)
    return document


def steering_committees_without_technical_committee(year):
    """The steering committees of ``year`` (not cancelled) that no technical committee, held or planned
    before them that year, prepares."""
    committees = Meeting.objects.filter(kind__code=STEERING_COMMITTEE, starts_at__year=year).exclude(
        status=MeetingStatus.CANCELLED
    )
    missing = []
    for committee in committees.prefetch_related("prepared_by"):
        prepared = [
            tc
            for tc in committee.prepared_by.all()
            if tc.status != MeetingStatus.CANCELLED and tc.starts_at < committee.starts_at
        ]
        if not prepared:
            missing.append(committee)
    return missing


def may_reset_calendar_feed(user, owner):
    return user is not None and user.is_active and user.pk == owner.pk


def do_reset_calendar_feed(owner, *, acting_user):
    """Make the user's secret feed address (revoking the previous one); returns the key, shown once."""
    import hashlib
    import secrets

    from steering.models import CalendarFeed

    check(may_reset_calendar_feed(acting_user, owner), _("You may only manage your own calendar feed."))
    key = secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    with transaction.atomic():
        CalendarFeed.objects.update_or_create(
            user=owner, defaults={"key_hash": digest, "created_at": timezone.now()}
        )
        audit("calendar_feed_reset", f"user:{owner.pk}", acting_user)
    return key


def feed_owner(key):
    """The active user whose feed key this is, or None."""
    import hashlib

    from steering.models import CalendarFeed

    digest = hashlib.sha256((key or "").encode()).hexdigest()
    feed = CalendarFeed.objects.filter(key_hash=digest, user__is_active=True).select_related("user").first()
    return feed.user if feed else None
