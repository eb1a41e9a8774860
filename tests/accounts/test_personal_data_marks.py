"""Marks of personal data in a request's free texts: set while writing (filing, commenting, a step) or
afterwards on a text or some passages of it, through the actions; the retention job erases what is
marked and keeps the rest (time controlled)."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from accounts import actions
from accounts.actions import personal_data
from accounts.models import PersonalDataMark, PersonalText
from directory.models import DirectoryAuditEntry
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import AuditEntry, Case, Comment
from procedures import actions as request_actions
from procedures.models import InterventionRequest, RequestMessage
from tests.factories import POINT_IN_COMMUNE_1, make_category

FILED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def filed(world, time_machine):
    call_command("setup_procedures", stdout=StringIO())
    time_machine.move_to(FILED_AT, tick=False)
    return actions.do_file_request_marking(
        acting_user=world.commune_user,
        personal_data=True,
        category=make_category("voirie"),
        description="Mme Durand (3e étage, fauteuil roulant) ne peut plus sortir : trottoir défoncé.",
        lon=POINT_IN_COMMUNE_1[0],
        lat=POINT_IN_COMMUNE_1[1],
    )


def marks_audit():
    return list(
        DirectoryAuditEntry.objects.filter(event__startswith="personal_data_")
        .order_by("pk")
        .values_list("event", "actor__username", "data")
    )


def test_the_job_erases_the_marked_texts_of_a_closed_request_and_keeps_the_unmarked_ones(
    world, filed, time_machine
):
    request = filed
    assert PersonalDataMark.objects.get().text == PersonalText.DESCRIPTION
    kept = actions.do_comment_request_marking(
        request, acting_user=world.commune_user, body="Le trou s'agrandit, écrire à voirie@commune.test"
    )
    partly = request_actions.do_comment_request(
        request, acting_user=world.ctc_agent, body="Vu avec M. Martin, gardien : M. Martin ouvrira la grille."
    )
    actions.do_mark_personal_data(
        request, "comment", object_id=partly.pk, passages=["m. martin"], acting_user=world.ctc_agent
    )
    whole = actions.do_comment_request_marking(
        request, acting_user=world.ctc_agent, body="Mme Durand est hospitalisée.", internal=True,
        personal_data=True,
    )  # fmt: skip
    request_actions.do_transition_request(request, "qualify", acting_user=world.ctc_agent)
    actions.do_transition_request_marking(
        request, "finish", acting_user=world.ctc_agent, personal_data=True,
        fields={"resolution_note": "Rampe posée devant chez Mme Durand."},
    )  # fmt: skip
    request_actions.do_confirm_request(request, acting_user=world.commune_user)
    done_message = RequestMessage.objects.get(request=request, kind="done")
    assert "Mme Durand" in done_message.body
    assert sorted(PersonalDataMark.objects.values_list("text", "spans")) == [
        ("comment", []),
        ("comment", [[8, 17], [29, 38]]),
        ("description", []),
        ("message", []),
        ("resolution_note", []),
    ]
    assert [(event, who) for event, who, _data in marks_audit()] == [
        ("personal_data_marked", "commune"),
        ("personal_data_marked", "ctc"),
        ("personal_data_marked", "ctc"),
        ("personal_data_marked", "ctc"),
        ("personal_data_marked", "ctc"),
    ]
    assert marks_audit()[1][2] == {"text": "comment", "object_id": partly.pk, "passages": 2}
    assert "Durand" not in str(marks_audit())  # the audit names the text, never its content
    exported = personal_data.export_person_data(world.ctc_agent)["personal_data_marks_set"]
    assert [(m["request"], m["text"]) for m in exported] == [
        (request.reference, "comment"),
        (request.reference, "comment"),
        (request.reference, "resolution_note"),
        (request.reference, "message"),
    ]

    time_machine.move_to(FILED_AT + timedelta(days=5 * 365), tick=False)
    assert personal_data.apply_retention(dry_run=True) == []  # not yet: closed less than 5 years ago
    time_machine.move_to(FILED_AT + timedelta(days=5 * 365 + 2), tick=False)
    [planned] = personal_data.apply_retention(dry_run=True)
    assert planned["texts_to_erase"] == 5 and PersonalDataMark.objects.count() == 5
    audit_before = AuditEntry.objects.filter(case_id=request.case_id).count()
    assert personal_data.apply_retention() == 1

    request.refresh_from_db()
    assert request.description == "[…]" and request.resolution_note == "[…]"
    assert "durand" not in request.search_text
    assert Case.objects.get(pk=request.case_id).data["resolution_note"] == "[…]"
    assert Comment.objects.get(pk=kept.pk).body == "Le trou s'agrandit, écrire à […]"  # unmarked: kept
    assert Comment.objects.get(pk=partly.pk).body == "Vu avec […], gardien : […] ouvrira la grille."
    assert Comment.objects.get(pk=whole.pk).body == "[…]"
    assert RequestMessage.objects.get(pk=done_message.pk).body == "[…]"
    unmarked_messages = RequestMessage.objects.filter(request=request).exclude(pk=done_message.pk)
    assert unmarked_messages.exists() and all(m.body != "[…]" for m in unmarked_messages)
    assert PersonalDataMark.objects.count() == 0
    # the audit trail's copies (the resolution note of the step) are erased too; who, when, what stay
    trail = list(AuditEntry.objects.filter(case_id=request.case_id).values_list("event", "reason", "fields"))
    assert "Durand" not in str(trail) and "Martin" not in str(trail)
    assert [fields["resolution_note"] for _e, _r, fields in trail if "resolution_note" in fields] == ["[…]"]
    assert trail[0][0] == "opened" and len(trail) == audit_before  # no entry removed
    record = DirectoryAuditEntry.objects.get(event="request_anonymised")
    assert record.data["audit_entries_redacted"] == 1
    assert record.data["texts_erased"] == 5 and record.data["comments"] == 3
    with pytest.raises(InvalidFields) as error:  # nothing left to mark once erased
        actions.do_mark_personal_data(request, "description", acting_user=world.commune_user)
    assert "déjà" in str(error.value.errors["text"]) or "already" in str(error.value.errors["text"])


def test_a_mark_is_refused_to_who_cannot_read_the_text_and_for_a_text_that_is_not_there(world, filed):
    request = filed
    PersonalDataMark.objects.all().delete()
    internal = request_actions.do_comment_request(
        request, acting_user=world.ctc_agent, body="Note interne", internal=True
    )
    before = (PersonalDataMark.objects.count(), DirectoryAuditEntry.objects.count())
    with pytest.raises(RoleNotAllowed):  # another commune does not see the request
        actions.do_mark_personal_data(request, "description", acting_user=world.commune_2_user)
    with pytest.raises(RoleNotAllowed):  # the requester side does not read internal comments
        actions.do_mark_personal_data(
            request, "comment", object_id=internal.pk, acting_user=world.commune_user
        )
    cases = [
        ({"text": "title"}, "text"),
        ({"text": "resolution_note"}, "text"),  # not finished: no note yet
        ({"text": "comment", "object_id": 999_999}, "object_id"),
        ({"text": "comment", "object_id": "abc"}, "object_id"),
        ({"text": "description", "passages": ["Mme Dupont"]}, "passages"),
        ({"text": "description", "spans": [[10, 5]]}, "spans"),
        ({"text": "description", "spans": [[0, 10_000]]}, "spans"),
        ({"text": "description", "spans": "0-5"}, "spans"),
    ]
    for kwargs, field in cases:
        text = kwargs.pop("text")
        with pytest.raises(InvalidFields) as error:
            actions.do_mark_personal_data(request, text, acting_user=world.commune_user, **kwargs)
        assert list(error.value.errors) == [field], (text, kwargs)
    assert (PersonalDataMark.objects.count(), DirectoryAuditEntry.objects.count()) == before


def test_a_second_mark_widens_the_first_and_only_its_author_or_an_administrator_takes_it_back(world, filed):
    request = filed
    PersonalDataMark.objects.all().delete()
    mark = actions.do_mark_personal_data(
        request, "description", spans=[[0, 10]], acting_user=world.commune_user
    )
    assert mark.spans == [[0, 10]] and mark.marked_by == world.commune_user
    audit = DirectoryAuditEntry.objects.count()
    actions.do_mark_personal_data(request, "description", spans=[[4, 10]], acting_user=world.ctc_agent)
    assert DirectoryAuditEntry.objects.count() == audit  # nothing new: nothing written
    mark = actions.do_mark_personal_data(
        request, "description", passages=["Fauteuil roulant"], acting_user=world.ctc_agent
    )
    assert mark.spans == [[0, 10], [22, 38]]
    mark = actions.do_mark_personal_data(request, "description", acting_user=world.ctc_agent)
    assert mark.whole and PersonalDataMark.objects.count() == 1

    with pytest.raises(RoleNotAllowed):
        actions.do_unmark_personal_data(request, "description", acting_user=world.ctc_agent)
    actions.do_unmark_personal_data(request, "description", acting_user=world.admin_user)
    assert not PersonalDataMark.objects.exists()
    assert marks_audit()[-1][:2] == ("personal_data_unmarked", "admin")
    with pytest.raises(InvalidFields):
        actions.do_unmark_personal_data(request, "description", acting_user=world.admin_user)


def test_a_failed_filing_leaves_no_mark_nor_request(world, filed):
    before = (InterventionRequest.objects.count(), PersonalDataMark.objects.count())
    with pytest.raises(InvalidFields):
        actions.do_file_request_marking(
            acting_user=world.commune_user, personal_data=True, category=filed.category,
            description="", lon=POINT_IN_COMMUNE_1[0], lat=POINT_IN_COMMUNE_1[1],
        )  # fmt: skip
    assert (InterventionRequest.objects.count(), PersonalDataMark.objects.count()) == before
