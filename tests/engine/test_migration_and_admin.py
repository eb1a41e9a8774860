"""Moving running cases between versions (command and admin), diagrams, and the engine admin."""

from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from engine import diagram
from engine.actions import do_fire_transition, do_store_version
from engine.definitions import parse_definition
from engine.models import AuditEntry, Case, Deadline, OutboxEvent, ProcedureVersion
from tests.engine.conftest import FULL_YAML
from tests.engine.helpers import open_case, publish

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.django_db

V2 = (
    FULL_YAML.replace("version: 1", "version: 2")
    .replace("  acknowledged: {phase: open", "  in_progress: {phase: open")
    .replace("to: acknowledged", "to: in_progress")
    .replace("from: [submitted, acknowledged]", "from: [submitted, in_progress]")
    .replace("from: [acknowledged]", "from: [in_progress]")
    .replace("starts: {enter: acknowledged}", "starts: {enter: in_progress}")
)


@pytest.fixture
def two_versions(world, time_machine):
    time_machine.move_to(datetime(2026, 3, 2, 9, 0, tzinfo=PARIS), tick=False)
    publish()
    submitted = open_case(world)
    acknowledged = open_case(world)
    do_fire_transition(acknowledged, "acknowledge", acting_user=world.ctc_agent)
    closed = open_case(world)
    do_fire_transition(closed, "reject", acting_user=world.ctc_lead, reason="dup")
    publish(V2)
    return submitted, acknowledged, closed


def test_migrate_cases_moves_running_cases_with_an_explicit_mapping(two_versions):
    submitted, acknowledged, closed = two_versions
    out = StringIO()
    call_command(
        "migrate_cases",
        "repair",
        "--from",
        "1",
        "--to",
        "2",
        "--map",
        "submitted=submitted",
        "acknowledged=in_progress",
        "--reason",
        "new wording",
        stdout=out,
    )
    assert out.getvalue().strip() == "repair: 2 running case(s) moved from version 1 to 2"
    acknowledged.refresh_from_db()
    assert (acknowledged.version.number, acknowledged.state, acknowledged.revision) == (2, "in_progress", 3)
    entry = AuditEntry.objects.get(case=acknowledged, event="migrated")
    assert (entry.from_state, entry.to_state, entry.reason, entry.actor) == (
        "acknowledged",
        "in_progress",
        "new wording",
        None,
    )
    assert entry.data["from_version"] == 1 and entry.data["to_version"] == 2
    assert dict(Deadline.objects.filter(case=acknowledged).values_list("state", "kind").order_by("pk")) == {
        "met": "acknowledge",
        "void": "resolve",
        "running": "resolve",
    }
    assert Case.objects.get(pk=closed.pk).version.number == 1  # closed cases stay
    assert Case.objects.get(pk=submitted.pk).version.number == 2
    assert OutboxEvent.objects.filter(kind="case.migrated").count() == 2
    do_fire_transition(acknowledged, "finish", acting_user=None, fields={"outcome": "repaired"})


def test_migrate_cases_refuses_a_state_in_use_without_mapping_and_moves_nothing(two_versions):
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command(
            "migrate_cases", "repair", "--from", "1", "--to", "2", "--map", "submitted=submitted", stderr=err
        )
    assert caught.value.returncode == 2
    assert err.getvalue().splitlines() == [
        "--map: l'état « acknowledged » est utilisé par 1 dossier(s) en cours et n'a pas de correspondance "
        "(ajoutez --map acknowledged=<état de la version 2>)"
    ]
    assert not Case.objects.filter(version__number=2).exists()
    assert not AuditEntry.objects.filter(event="migrated").exists()


def test_migrate_cases_refuses_unknown_states_and_versions(two_versions):
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "migrate_cases",
            "repair",
            "--from",
            "1",
            "--to",
            "2",
            "--map",
            "submitted=nowhere",
            "acknowledged=in_progress",
            stderr=err,
        )
    assert err.getvalue().splitlines() == [
        "--map submitted=nowhere: « nowhere » n'est pas un état de la version 2"
    ]
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("migrate_cases", "repair", "--from", "1", "--to", "9", "--map", "a=b", stderr=err)
    assert err.getvalue().splitlines() == ["--to: aucune version 9 de « repair »"]
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("migrate_cases", "repair", "--from", "1", "--to", "2", "--map", "oops", stderr=err)
    assert err.getvalue().splitlines() == ["--map oops: expected old_state=new_state"]


def test_migrate_cases_refuses_a_draft_target(world):
    publish()
    do_store_version(FULL_YAML.replace("version: 1", "version: 2"), acting_user=None)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("migrate_cases", "repair", "--from", "1", "--to", "2", "--map", "a=b", stderr=err)
    assert err.getvalue().splitlines() == [
        "--to: la version 2 a le statut draft ; seule une version publiée peut recevoir des dossiers"
    ]


def test_the_diagram_shows_every_state_and_transition():
    definition = parse_definition(FULL_YAML)
    text = diagram.mermaid(definition)
    assert text.startswith("stateDiagram-v2\n")
    assert "    [*] --> submitted" in text
    assert "    submitted --> acknowledged: acknowledge (dispatcher, handler)" in text
    assert "    done --> [*]" in text
    svg = diagram.svg(definition)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for state in definition["states"]:
        assert f">{state} · " in svg
    for code in definition["transitions"]:
        assert f">{code}</text>" in svg


def test_the_diagram_escapes_labels():
    definition = parse_definition(
        FULL_YAML.replace("{fr: Nouvelle, en: Submitted}", '{fr: "<script>x</script>"}')
    )
    assert "<script>" not in diagram.svg(definition)


# --- admin -------------------------------------------------------------------------------------------
@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin_user)
    return client


def test_an_administrator_uploads_a_yaml_file_and_sees_its_diagram(admin_client):
    response = admin_client.post(
        reverse("admin:engine_procedureversion_add"),
        {
            "yaml_file": SimpleUploadedFile("repair.yaml", FULL_YAML.encode()),
            "source": "",
            "publish_now": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    version = ProcedureVersion.objects.get()
    assert (version.number, version.status) == (1, "published")
    page = admin_client.get(reverse("admin:engine_procedureversion_change", args=[version.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "stateDiagram-v2" in body


def test_the_admin_shows_validation_problems_in_plain_words_and_saves_nothing(admin_client):
    text = FULL_YAML.replace("pauses_in: [waiting]", "pauses_in: [nap]")
    response = admin_client.post(reverse("admin:engine_procedureversion_add"), {"source": text})
    assert response.status_code == 200
    assert "deadlines.resolve.pauses_in: état « nap » inconnu" in response.content.decode()
    assert not ProcedureVersion.objects.exists()


def test_admin_actions_publish_and_retire_through_the_lifecycle(admin_client):
    version = do_store_version(FULL_YAML, acting_user=None)
    url = reverse("admin:engine_procedureversion_changelist")
    admin_client.post(url, {"action": "retire_versions", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == "draft"
    admin_client.post(url, {"action": "publish_versions", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == "published"
    admin_client.post(url, {"action": "retire_versions", "_selected_action": [version.pk]})
    version.refresh_from_db()
    assert version.status == "retired"


def test_the_admin_migrates_cases_with_a_mapping(admin_client, two_versions):
    target = ProcedureVersion.objects.get(number=2)
    url = reverse("admin:engine_procedureversion_migrate", args=[target.pk])
    assert admin_client.get(url).status_code == 200
    refused = admin_client.post(url, {"source": "1", "mapping": "submitted=submitted", "confirm": "1"})
    assert refused.status_code == 200
    assert "n&#x27;a pas de correspondance" in refused.content.decode()
    assert not Case.objects.filter(version=target).exists()
    done = admin_client.post(
        url, {"source": "1", "mapping": "submitted=submitted\nacknowledged=in_progress", "confirm": "1"}
    )
    assert done.status_code == 302
    assert Case.objects.filter(version=target).count() == 2
    assert AuditEntry.objects.filter(event="migrated").count() == 2


def test_the_case_admin_is_read_only_with_its_audit(admin_client, world):
    publish()
    case = open_case(world)
    page = admin_client.get(reverse("admin:engine_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert "opened" in page.content.decode()
    assert (
        admin_client.post(reverse("admin:engine_case_change", args=[case.pk]), {"state": "done"}).status_code
        == 403
    )
    assert Case.objects.get(pk=case.pk).state == "submitted"


def test_the_case_admin_lists_who_the_case_is_shared_with_and_by_whom(admin_client, world):
    from engine.actions import do_share_case

    publish()
    case = open_case(world)
    do_share_case(case, world.landlord_agent, acting_user=world.ctc_agent)
    page = admin_client.get(reverse("admin:engine_case_change", args=[case.pk])).content.decode()
    assert "Partagée avec (lecture seule)" in page
    shares = page.split("Partagée avec (lecture seule)", 1)[1].split("</fieldset>", 1)[0]
    assert world.landlord_agent.username in shares and world.ctc_agent.username in shares


def test_the_calendar_admin_lists_the_default_calendar(admin_client):
    page = admin_client.get(reverse("admin:engine_businesscalendar_changelist"))
    assert page.status_code == 200
    assert "default" in page.content.decode()


def test_the_admin_says_which_published_version_new_requests_use(admin_client, two_versions, world):
    v1, v2 = ProcedureVersion.objects.order_by("number")
    assert (v1.status, v2.status) == ("published", "published")
    listing = admin_client.get(reverse("admin:engine_procedureversion_changelist")).content.decode()
    assert listing.count("utilisée pour les nouvelles demandes") == 1
    assert "publiée, cas en cours seulement (2 en cours)" in listing  # the rejected case is closed
    procedure_page = admin_client.get(
        reverse("admin:engine_procedure_change", args=[v1.procedure_id])
    ).content.decode()
    assert procedure_page.count("utilisée pour les nouvelles demandes") == 1
    assert "publiée, cas en cours seulement (2 en cours)" in procedure_page
    v2_page = admin_client.get(reverse("admin:engine_procedureversion_change", args=[v2.pk])).content.decode()
    assert "utilisée pour les nouvelles demandes" in v2_page
    v1_page = admin_client.get(reverse("admin:engine_procedureversion_change", args=[v1.pk])).content.decode()
    assert "publiée, cas en cours seulement (2 en cours)" in v1_page
    assert "utilisée pour les nouvelles demandes" not in v1_page
    assert open_case(world).version_id == v2.pk  # what the page says is what the engine does
