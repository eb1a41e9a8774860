"""The organiser changes a meeting's agenda (rename, move, remove) and adds documents from the browser:
each form calls its action (rows, audit entries); a refusal saves nothing and names the field."""

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from engine.errors import InvalidFields
from steering import actions
from steering.models import AgendaItem, MeetingDocument
from tests.steering.conftest import audit_events, paris
from tests.steering.test_meetings import DOCX, referents_meeting

pytestmark = pytest.mark.django_db


def text(response):
    return html.unescape(response.content.decode())


def titles(meeting):
    return list(meeting.agenda_items.order_by("position").values_list("position", "title"))


def test_the_organiser_renames_and_moves_an_agenda_item(people, now, client):
    meeting = referents_meeting(people, agenda=["Bilan", "Encombrants", "Questions diverses"])
    third = meeting.agenda_items.get(title="Questions diverses")
    client.force_login(people.dvq_officer)
    page = client.get(f"/steering/meetings/{meeting.pk}/agenda/{third.pk}/edit/")
    assert page.status_code == 200 and 'value="Questions diverses"' in text(page)
    response = client.post(
        f"/steering/meetings/{meeting.pk}/agenda/{third.pk}/edit/",
        {"title": "Tour de table", "position": "1"},
    )
    assert response.status_code == 302
    assert titles(meeting) == [(1, "Tour de table"), (2, "Bilan"), (3, "Encombrants")]
    assert audit_events() == ["meeting_created", "agenda_item_changed"]
    detail = text(client.get(f"/steering/meetings/{meeting.pk}/"))
    assert "Retirer de l’ordre du jour" in detail


def test_a_refused_agenda_change_names_the_field_and_changes_nothing(people, now, client):
    meeting = referents_meeting(people, agenda=["Bilan"])
    item = meeting.agenda_items.get()
    client.force_login(people.dvq_officer)
    response = client.post(
        f"/steering/meetings/{meeting.pk}/agenda/{item.pk}/edit/", {"title": "   ", "position": "0"}
    )
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_title-errors"' in body and 'id="id_position-errors"' in body
    assert titles(meeting) == [(1, "Bilan")] and audit_events() == ["meeting_created"]


def test_the_organiser_takes_an_item_off_the_agenda_and_the_others_are_renumbered(people, now, client):
    meeting = referents_meeting(people, agenda=["Bilan", "Encombrants", "Questions diverses"])
    item = meeting.agenda_items.get(title="Bilan")
    client.force_login(people.dvq_officer)
    response = client.post(f"/steering/meetings/{meeting.pk}/agenda/{item.pk}/remove/")
    assert response.status_code == 302
    assert titles(meeting) == [(1, "Encombrants"), (2, "Questions diverses")]
    assert audit_events() == ["meeting_created", "agenda_item_removed"]
    assert "« Bilan » est retiré de l’ordre du jour." in text(client.get(response["Location"]))


def test_removing_an_actions_follow_up_item_takes_the_meeting_off_where_it_is_discussed(people, now):
    first = referents_meeting(people)
    action = actions.do_create_action(
        title="Relancer le bailleur",
        owner_organisation=people.commune,
        meeting=first,
        acting_user=people.dvq_officer,
    )
    following = referents_meeting(
        people, starts_at=paris(2026, 12, 1, 14, 0), ends_at=paris(2026, 12, 1, 16, 0)
    )
    item = following.agenda_items.get(action=action)
    assert list(action.discussed_at.all()) == [following]
    actions.do_remove_agenda_item(item, acting_user=people.dvq_officer)
    assert not following.agenda_items.exists() and not action.discussed_at.exists()


def test_only_a_planned_meetings_agenda_changes_and_only_by_an_organiser(people, now, client):
    meeting = referents_meeting(people, agenda=["Bilan"])
    item = meeting.agenda_items.get()
    client.force_login(people.commune_user)  # invited, not an organiser
    assert "Retirer de l’ordre du jour" not in text(client.get(f"/steering/meetings/{meeting.pk}/"))
    assert client.get(f"/steering/meetings/{meeting.pk}/agenda/{item.pk}/edit/").status_code == 403
    assert client.post(f"/steering/meetings/{meeting.pk}/agenda/{item.pk}/remove/").status_code == 403
    client.force_login(people.commune_2_user)
    other = referents_meeting(people, invited_organisations=[people.commune.pk])
    other_item = AgendaItem.objects.create(meeting=other, position=1, title="Hors champ")
    assert client.get(f"/steering/meetings/{other.pk}/agenda/{other_item.pk}/edit/").status_code == 404
    actions.do_cancel_meeting(meeting, acting_user=people.dvq_officer)
    with pytest.raises(InvalidFields) as refused:
        actions.do_remove_agenda_item(item, acting_user=people.dvq_officer)
    assert "réunion prévue" in refused.value.errors["title"]
    assert AgendaItem.objects.filter(pk=item.pk).exists()


def test_the_organiser_adds_a_document_checked_by_its_content(people, now, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    meeting = referents_meeting(people)
    client.force_login(people.dvq_officer)
    page = client.get(f"/steering/meetings/{meeting.pk}/documents/new/")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' in text(page)
    response = client.post(
        f"/steering/meetings/{meeting.pk}/documents/new/",
        {"kind": "agenda", "file": SimpleUploadedFile("ordre-du-jour.docx", DOCX)},
    )
    assert response.status_code == 302
    document = MeetingDocument.objects.get()
    assert document.kind == "agenda" and document.content_type.endswith("wordprocessingml.document")
    assert audit_events() == ["meeting_created", "document_added"]
    download = client.get(f"/steering/meetings/{meeting.pk}/documents/{document.pk}/")
    assert b"".join(download.streaming_content) == DOCX


def test_a_document_that_is_not_what_its_name_says_is_refused_on_the_field(
    people, now, client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    meeting = referents_meeting(people)
    client.force_login(people.dvq_officer)
    response = client.post(
        f"/steering/meetings/{meeting.pk}/documents/new/",
        {"kind": "slides", "file": SimpleUploadedFile("diaporama.pdf", DOCX)},
    )
    assert response.status_code == 400
    body = text(response)
    assert 'id="id_file-errors"' in body and "diaporama.pdf est un fichier DOCX" in body
    assert not MeetingDocument.objects.exists() and audit_events() == ["meeting_created"]
    assert not list(tmp_path.rglob("*.pdf")) and not list(tmp_path.rglob("*.docx"))


def test_an_unknown_document_kind_is_refused(people, now, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    meeting = referents_meeting(people)
    with pytest.raises(InvalidFields) as refused:
        actions.do_attach_meeting_document(
            meeting, upload=SimpleUploadedFile("cr.docx", DOCX), kind="poster", acting_user=people.dvq_officer
        )
    assert "poster" in refused.value.errors["kind"] and not MeetingDocument.objects.exists()


def test_only_an_organiser_adds_documents(people, now, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    meeting = referents_meeting(people)
    client.force_login(people.commune_user)
    assert "Ajouter un document" not in text(client.get(f"/steering/meetings/{meeting.pk}/"))
    response = client.post(
        f"/steering/meetings/{meeting.pk}/documents/new/",
        {"kind": "agenda", "file": SimpleUploadedFile("ordre-du-jour.docx", DOCX)},
    )
    assert response.status_code == 403 and not MeetingDocument.objects.exists()
