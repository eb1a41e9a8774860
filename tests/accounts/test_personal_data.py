"""Personal data: the retention job (time controlled, dry run, claimed once), a person's export and
their anonymisation on request."""

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from accounts.actions import personal_data
from accounts.models import RetentionRecord
from directory.models import DirectoryAuditEntry, RoleAssignment, User
from engine.errors import RoleNotAllowed
from engine.models import Attachment, AuditEntry, Comment
from procedures.models import InterventionRequest, Notification
from tests.engine.helpers import open_case, publish
from tests.factories import make_category
from tests.procedures.helpers import make_request_row

NOW = datetime(2031, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def closed_request(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    publish()
    case = open_case(world)
    request = make_request_row(
        make_category("voirie"),
        lon=1.70,
        lat=48.99,
        commune=world.commune,
        case=case,
        requester=world.commune_user,
        handler_agent=world.ctc_agent,
        description="Trottoir défoncé, rappeler M. Dupont au 06 12 34 56 78 ou dupont@example.org",
        resolution_note="Réparé, vu avec dupont@example.org",
        closed_at=NOW - timedelta(days=5 * 365 + 1),
    )
    Comment.objects.create(case=case, author=world.ctc_agent, body="Appeler le 01.23.45.67.89")
    attachment = Attachment(case=case, author=world.commune_user, name="photo.png", size_bytes=3)
    attachment.file.save("photo.png", ContentFile(b"png"), save=True)
    Notification.objects.create(user=world.commune_user, request=request, event="filed", text="Déposée")
    return request


def test_the_retention_job_anonymises_closed_requests_older_than_the_period(
    world, closed_request, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(NOW)
    recent = make_request_row(
        closed_request.category, lon=1.7, lat=48.99, commune=world.commune, requester=world.commune_user,
        closed_at=NOW - timedelta(days=30), reference="DI-RECENT",
    )  # fmt: skip
    open_one = make_request_row(
        closed_request.category, lon=1.7, lat=48.99, commune=world.commune, requester=world.commune_user,
        reference="DI-OPEN",
    )  # fmt: skip
    path = Attachment.objects.get().file.path

    planned = personal_data.apply_retention(dry_run=True)
    assert planned == [
        {
            "request": closed_request.reference,
            "closed_at": closed_request.closed_at.isoformat(),
            "requester": True,
            "agent": True,
            "texts_to_erase": 0,
            "files_to_delete": 1,
        }
    ]
    assert RetentionRecord.objects.count() == 0 and Attachment.objects.count() == 1

    audit_before = AuditEntry.objects.filter(case=closed_request.case).count()
    with django_capture_on_commit_callbacks(execute=True):
        assert personal_data.apply_retention() == 1
    closed_request.refresh_from_db()
    assert closed_request.requester is None and closed_request.handler_agent is None
    assert closed_request.description == "Trottoir défoncé, rappeler M. Dupont au […] ou […]"
    assert "example.org" not in closed_request.search_text and "@" not in closed_request.resolution_note
    comment = Comment.objects.get()
    assert comment.author is None and comment.body == "Appeler le […]"
    assert Attachment.objects.count() == 0
    import os

    assert not os.path.exists(path)
    assert Notification.objects.filter(request=closed_request).count() == 0
    # the audit trail is kept: who acted is still the account's id, a pseudonymous number
    assert AuditEntry.objects.filter(case=closed_request.case).count() == audit_before
    entry = DirectoryAuditEntry.objects.get(event="request_anonymised")
    assert entry.data == {
        "requester": True,
        "agent": True,
        "comments": 1,
        "texts_erased": 0,
        "audit_entries_redacted": 0,  # nothing marked: the audit trail is untouched
        "files_deleted": 1,
        "notifications": 1,
    }
    for other in (recent, open_one):
        other.refresh_from_db()
        assert other.requester == world.commune_user

    assert personal_data.apply_retention() == 0  # claimed once: never treated twice
    time_machine.move_to(NOW + timedelta(days=5 * 365))
    assert personal_data.apply_retention() == 1  # the recent one's turn has come; the open one never


def test_the_period_is_a_setting_and_the_command_has_a_dry_run(world, closed_request, settings, time_machine):
    time_machine.move_to(NOW)
    settings.GUP_PERSONAL_DATA_RETENTION_DAYS = 10 * 365
    assert personal_data.apply_retention(dry_run=True) == []
    settings.GUP_PERSONAL_DATA_RETENTION_DAYS = 365
    out = StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert closed_request.reference in out.getvalue() and "nothing changed" in out.getvalue()
    assert InterventionRequest.objects.get(pk=closed_request.pk).requester == world.commune_user
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "1 request(s) anonymised" in out.getvalue()


def test_a_persons_data_is_exported_as_json(world, closed_request):
    out = StringIO()
    call_command("personal_data", "export", world.commune_user.username, stdout=out)
    data = json.loads(out.getvalue())
    assert data["account"]["username"] == world.commune_user.username
    assert data["requests_filed"] == [closed_request.reference]
    assert sorted(data["roles"]) == sorted(world.commune_user.role_codes)
    agent = personal_data.export_person_data(world.ctc_agent)
    assert agent["requests_handled"] == [closed_request.reference]
    assert agent["comments"][0]["body"] == "Appeler le 01.23.45.67.89"


def test_an_administrator_anonymises_an_account_on_request(world, closed_request):
    person = world.commune_user
    with pytest.raises(RoleNotAllowed):
        personal_data.do_anonymise_person(person, acting_user=world.ctc_lead)
    assert User.objects.get(pk=person.pk).username == "commune"
    personal_data.do_anonymise_person(person, acting_user=world.admin_user)
    person.refresh_from_db()
    assert (person.username, person.first_name, person.last_name, person.email) == (
        f"anonyme-{person.pk}",
        "",
        "",
        "",
    )
    assert not person.is_active and not person.has_usable_password()
    assert not RoleAssignment.objects.filter(user=person).exists()
    assert DirectoryAuditEntry.objects.filter(event="person_anonymised", actor=world.admin_user).count() == 1
    # the account's history stays, under its pseudonym
    assert InterventionRequest.objects.get(pk=closed_request.pk).requester == person


def test_the_command_refuses_an_unknown_account_in_one_line(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no account named 'ghost'"):
        call_command("personal_data", "export", "ghost")


def test_the_dry_run_takes_three_statements_whatever_the_number_of_requests(
    world, closed_request, time_machine, assert_queries
):
    time_machine.move_to(NOW)
    for n in range(3):
        make_request_row(
            closed_request.category, lon=1.7, lat=48.99, commune=world.commune, reference=f"DI-OLD-{n}",
            closed_at=NOW - timedelta(days=6 * 365),
        )  # fmt: skip
    with assert_queries(3):  # the batch, the files and the marks counted per request in one query each
        planned = personal_data.apply_retention(dry_run=True)
    assert len(planned) == 4 and planned[-1]["files_to_delete"] == 1
