"""Meetings through the action layer: creation, invitations with their .ics, updates, cancellations,
answers, minutes, documents, committees; bad input refused with nothing written and no e-mail."""

import io
import zipfile

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from icalendar import Calendar

from engine.errors import InvalidFields, RoleNotAllowed
from steering import actions
from steering.models import (
    Answer,
    Invitation,
    Meeting,
    MeetingDocument,
    MeetingStatus,
    SteeringAuditEntry,
)
from tests.steering.conftest import audit_events, deliver, paris, steering_events

pytestmark = pytest.mark.django_db


def referents_meeting(world, **extra):
    values = {
        "kind": "referents_meeting",
        "title": "Réunion des référents",
        "starts_at": paris(2026, 10, 20, 14, 0),
        "ends_at": paris(2026, 10, 20, 16, 0),
        "place": "Hôtel communautaire, salle 3",
        "invited_organisations": [world.commune.pk, world.commune_2.pk],
        "acting_user": world.dvq_officer,
    }
    values.update(extra)
    return actions.do_create_meeting(**values)


def ics_of(message):
    (attachment,) = [a for a in message.attachments if a[0] == "invitation.ics"]
    return Calendar.from_ical(attachment[1]), attachment[2]


def test_it_creates_a_meeting_with_the_referents_of_the_invited_communes(people, now):
    meeting = referents_meeting(people, agenda=["Bilan du trimestre"])
    invited = set(meeting.invitations.values_list("person__username", flat=True))
    assert invited == {"commune", "commune-2"}
    assert list(meeting.agenda_items.values_list("title", flat=True)) == ["Bilan du trimestre"]
    assert audit_events() == ["meeting_created"]
    assert steering_events() == []  # nothing is sent before the organiser sends the invitations


def test_the_invitation_carries_an_ics_in_paris_time_across_the_daylight_saving_change(people, now):
    # 20 October is summer time (UTC+2), 3 November winter time (UTC+1)
    before = referents_meeting(people)
    after = referents_meeting(
        people,
        title="Après le changement d'heure",
        starts_at=paris(2026, 11, 3, 14, 0),
        ends_at=paris(2026, 11, 3, 16, 0),
    )
    actions.do_send_invitations(before, acting_user=people.dvq_officer)
    actions.do_send_invitations(after, acting_user=people.dvq_officer)
    assert steering_events() == ["steering.meeting_invited", "steering.meeting_invited"]
    deliver()
    assert len(mail.outbox) == 4
    by_title = {}
    for message in mail.outbox:
        cal, mimetype = ics_of(message)
        assert "method=REQUEST" in mimetype
        assert cal["METHOD"] == "REQUEST"
        (event,) = cal.walk("VEVENT")
        assert [str(a) for a in event.get("ATTENDEE") if True] == [f"mailto:{message.to[0]}"] or str(
            event["ATTENDEE"]
        ) == f"mailto:{message.to[0]}"
        by_title[str(event["SUMMARY"])] = (cal, event)
    for title, hour_utc in (("Réunion des référents", 12), ("Après le changement d'heure", 13)):
        cal, event = by_title[title]
        start = event["DTSTART"]
        assert start.params["TZID"] == "Europe/Paris"
        assert start.dt.hour == 14 and str(start.dt.tzinfo) == "Europe/Paris"
        assert start.dt.utcoffset().total_seconds() / 3600 == 14 - hour_utc
        (zone,) = cal.walk("VTIMEZONE")
        assert str(zone["TZID"]) == "Europe/Paris"
        raw = cal.to_ical().decode()
        assert "DTSTART;TZID=Europe/Paris:" in raw
    assert "14:00" in mail.outbox[0].body


def test_an_update_after_sending_mails_everyone_a_higher_sequence_and_a_cancellation_cancels(people, now):
    meeting = referents_meeting(people)
    actions.do_send_invitations(meeting, acting_user=people.dvq_officer)
    deliver()
    mail.outbox.clear()
    actions.do_update_meeting(
        meeting,
        changes={"starts_at": paris(2026, 10, 21, 9, 30), "ends_at": paris(2026, 10, 21, 11, 0)},
        acting_user=people.dvq_officer,
    )
    deliver()
    assert len(mail.outbox) == 2
    cal, _mimetype = ics_of(mail.outbox[0])
    (event,) = cal.walk("VEVENT")
    assert event["SEQUENCE"] == 1 and event["DTSTART"].dt.hour == 9
    entry = SteeringAuditEntry.objects.get(event="meeting_changed")
    assert entry.data["old"]["starts_at"].startswith("2026-10-20") and entry.data["new"]["starts_at"]
    mail.outbox.clear()
    actions.do_cancel_meeting(meeting, reason="Salle indisponible", acting_user=people.dvq_officer)
    deliver()
    cal, mimetype = ics_of(mail.outbox[0])
    (event,) = cal.walk("VEVENT")
    assert cal["METHOD"] == "CANCEL" and "method=CANCEL" in mimetype
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 2
    assert str(event["UID"]) == f"{meeting.uid}@gup"
    assert steering_events() == [
        "steering.meeting_invited",
        "steering.meeting_updated",
        "steering.meeting_cancelled",
    ]


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"ends_at": paris(2026, 10, 20, 13, 0)}, "ends_at"),
        ({"time_zone": "Europe/Nowhere"}, "time_zone"),
        ({"place": "", "video_url": ""}, "place"),
        ({"title": "  "}, "title"),
    ],
)
def test_it_refuses_a_bad_change_with_nothing_written_and_no_email(people, now, changes, field):
    meeting = referents_meeting(people)
    actions.do_send_invitations(meeting, acting_user=people.dvq_officer)
    before_events, before_audit = steering_events(), audit_events()
    with pytest.raises(InvalidFields) as refused:
        actions.do_update_meeting(meeting, changes=changes, acting_user=people.dvq_officer)
    assert field in refused.value.errors
    meeting.refresh_from_db()
    assert meeting.sequence == 0 and meeting.starts_at == paris(2026, 10, 20, 14, 0)
    assert steering_events() == before_events and audit_events() == before_audit


def test_it_refuses_an_end_before_the_start_and_an_unknown_invitee_at_creation(people, now):
    with pytest.raises(InvalidFields) as refused:
        referents_meeting(people, ends_at=paris(2026, 10, 20, 13, 0))
    assert "doit être après le début" in refused.value.errors["ends_at"]
    with pytest.raises(InvalidFields) as refused:
        referents_meeting(people, invited_people=[999999])
    assert "999999" in refused.value.errors["invited_people"]
    assert Meeting.objects.count() == 0 and Invitation.objects.count() == 0 and audit_events() == []


def test_it_refuses_to_invite_to_a_meeting_in_the_past(people, now):
    meeting = referents_meeting(
        people, starts_at=paris(2026, 9, 20, 14, 0), ends_at=paris(2026, 9, 20, 16, 0)
    )
    with pytest.raises(InvalidFields) as refused:
        actions.do_send_invitations(meeting, acting_user=people.dvq_officer)
    assert "passé" in refused.value.errors["starts_at"]
    meeting.refresh_from_db()
    assert meeting.invitations_sent_at is None and steering_events() == []


def test_a_commune_may_not_organise_a_meeting(people, now):
    with pytest.raises(RoleNotAllowed):
        referents_meeting(people, acting_user=people.commune_user)
    assert Meeting.objects.count() == 0


def test_an_invited_person_answers_for_themselves_only(people, now):
    meeting = referents_meeting(people)
    invitation = meeting.invitations.get(person=people.commune_user)
    actions.do_answer_invitation(
        invitation,
        answer=Answer.REPRESENTED,
        represented_by="Mme Martin, adjointe",
        acting_user=people.commune_user,
    )
    invitation.refresh_from_db()
    assert invitation.answer == "represented" and invitation.represented_by == "Mme Martin, adjointe"
    with pytest.raises(RoleNotAllowed):
        actions.do_answer_invitation(invitation, answer=Answer.ATTENDING, acting_user=people.commune_2_user)
    with pytest.raises(InvalidFields) as refused:
        actions.do_answer_invitation(invitation, answer=Answer.REPRESENTED, acting_user=people.commune_user)
    assert "represented_by" in refused.value.errors
    assert audit_events() == ["meeting_created", "invitation_answered"]


def test_holding_a_meeting_records_minutes_attendance_and_decisions(people, now, time_machine):
    meeting = referents_meeting(people)
    with pytest.raises(InvalidFields):
        actions.do_hold_meeting(meeting, minutes="Trop tôt", acting_user=people.dvq_officer)
    time_machine.move_to(paris(2026, 10, 20, 17, 0), tick=False)
    decisions = actions.do_hold_meeting(
        meeting,
        minutes="Tour de table des communes.",
        attended=[people.commune_user.pk],
        decisions=["Relancer le bailleur sur les encombrants", ""],
        acting_user=people.dvq_officer,
    )
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and [d.text for d in decisions] == [
        "Relancer le bailleur sur les encombrants"
    ]
    assert dict(meeting.invitations.values_list("person__username", "attended")) == {
        "commune": True,
        "commune-2": False,
    }


def _zip(entries, first=None):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if first:
            archive.writestr(zipfile.ZipInfo(first[0]), first[1])  # stored
        for name, data in entries:
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


DOCX = _zip(
    [
        (
            "[Content_Types].xml",
            '<Types><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.wordprocessingml.document.main+xml"/></Types>',
        ),
        ("word/document.xml", "<w:document/>"),
    ]
)
ODT = _zip(
    [("content.xml", "<office:document-content/>")],
    first=("mimetype", "application/vnd.oasis.opendocument.text"),
)


def test_it_stores_office_documents_recognised_by_their_content(people, now, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    meeting = referents_meeting(people)
    docx = actions.do_attach_meeting_document(
        meeting,
        upload=SimpleUploadedFile("ordre-du-jour.docx", DOCX),
        kind="agenda",
        acting_user=people.dvq_officer,
    )
    odt = actions.do_attach_meeting_document(
        meeting,
        upload=SimpleUploadedFile("compte-rendu.odt", ODT),
        kind="minutes",
        acting_user=people.dvq_officer,
    )
    assert docx.content_type.endswith("wordprocessingml.document")
    assert odt.content_type == "application/vnd.oasis.opendocument.text"


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("ordre-du-jour.pdf", DOCX, "DOCX"),
        ("diaporama.pptx", b"<html><script>alert(1)</script></html>", "son contenu a été vérifié"),
        ("vide.pdf", b"", "vide"),
    ],
)
def test_it_refuses_a_document_that_is_not_what_its_name_says(
    people, now, settings, tmp_path, name, data, message
):
    settings.MEDIA_ROOT = tmp_path
    meeting = referents_meeting(people)
    with pytest.raises(InvalidFields) as refused:
        actions.do_attach_meeting_document(
            meeting, upload=SimpleUploadedFile(name, data), acting_user=people.dvq_officer
        )
    assert message in refused.value.errors["file"] and name in refused.value.errors["file"]
    assert MeetingDocument.objects.count() == 0 and audit_events() == ["meeting_created"]


def test_it_refuses_a_document_over_the_size_limit(people, now, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.STEERING_DOCUMENT_MAX_BYTES = 100
    meeting = referents_meeting(people)
    with pytest.raises(InvalidFields) as refused:
        actions.do_attach_meeting_document(
            meeting, upload=SimpleUploadedFile("cr.docx", DOCX), acting_user=people.dvq_officer
        )
    assert "trop volumineux" in refused.value.errors["file"]


def test_it_warns_of_a_steering_committee_without_a_technical_committee_before_it(people, now):
    def committee(kind, day, **extra):
        return actions.do_create_meeting(
            kind=kind,
            title=kind,
            starts_at=paris(2026, 12, day, 10, 0),
            ends_at=paris(2026, 12, day, 12, 0),
            place="Hôtel communautaire",
            acting_user=people.dvq_officer,
            **extra,
        )

    steering = committee("steering_committee", 15)
    lonely = committee("steering_committee", 18)
    assert actions.steering_committees_without_technical_committee(2026) == [steering, lonely]
    with pytest.raises(InvalidFields) as refused:
        committee("technical_committee", 16, prepares=steering)
    assert "avant le comité de pilotage" in refused.value.errors["prepares"]
    with pytest.raises(InvalidFields):
        committee("referents_meeting", 10, prepares=steering)
    committee("technical_committee", 8, prepares=steering)
    assert actions.steering_committees_without_technical_committee(2026) == [lonely]
