"""Procedure versions: load_procedure, the draft -> published -> retired lifecycle, immutability, pinning."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_fsm import TransitionNotAllowed

from engine.actions import do_publish_version, do_retire_version, do_store_version
from engine.errors import DefinitionInvalid, EngineError, ImmutableVersion
from engine.models import Case, Procedure, ProcedureVersion, VersionStatus
from tests.engine.conftest import FULL_YAML
from tests.engine.helpers import open_case, publish

pytestmark = pytest.mark.django_db


def write(tmp_path, text, name="repair.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_load_procedure_stores_a_draft_and_prints_procedure_version_and_state(tmp_path):
    out = StringIO()
    call_command("load_procedure", write(tmp_path, FULL_YAML), stdout=out)
    assert out.getvalue().strip() == "repair version 1 draft"
    version = ProcedureVersion.objects.get()
    assert (version.procedure.code, version.number, version.status) == ("repair", 1, "draft")
    assert version.source == FULL_YAML
    assert version.definition["initial"] == "submitted"


def test_load_procedure_publish_publishes_at_once(tmp_path):
    out = StringIO()
    call_command("load_procedure", write(tmp_path, FULL_YAML), "--publish", stdout=out)
    assert out.getvalue().strip() == "repair version 1 published"
    assert Procedure.objects.get(code="repair").latest_published().number == 1


def test_load_procedure_prints_problems_one_per_line_exits_non_zero_and_saves_nothing(tmp_path):
    text = FULL_YAML.replace("roles: [dispatcher]\n", "roles: [dispatcher, mayor]\n").replace(
        "pauses_in: [waiting]", "pauses_in: [nap]"
    )
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("load_procedure", write(tmp_path, text), "--publish", stderr=err)
    assert caught.value.returncode == 2
    assert err.getvalue().splitlines() == [
        "transitions.reject.roles: le rôle « mayor » n'est pas déclaré dans roles",
        "deadlines.resolve.pauses_in: état « nap » inconnu",
    ]
    assert str(caught.value).endswith(
        "repair.yaml: 2 problem(s), nothing saved: "
        "transitions.reject.roles: le rôle « mayor » n'est pas déclaré dans roles"
    )
    assert not Procedure.objects.exists()
    assert not ProcedureVersion.objects.exists()


def test_load_procedure_refuses_a_missing_file_with_one_line(tmp_path):
    with pytest.raises(CommandError, match="cannot read the file"):
        call_command("load_procedure", str(tmp_path / "missing.yaml"))


def test_load_procedure_refuses_an_existing_version_number(tmp_path):
    path = write(tmp_path, FULL_YAML)
    call_command("load_procedure", path, stdout=StringIO())
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_procedure", path, stderr=err)
    assert (
        err.getvalue().strip()
        == "version: la version 1 de « repair » existe déjà (indiquez un nouveau numéro de version)"
    )
    assert ProcedureVersion.objects.count() == 1


def test_a_version_goes_draft_published_retired_and_no_other_way():
    version = do_store_version(FULL_YAML, acting_user=None)
    assert version.status == VersionStatus.DRAFT
    with pytest.raises(TransitionNotAllowed):
        do_retire_version(version, acting_user=None)
    do_publish_version(version, acting_user=None)
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and version.published_at is not None
    with pytest.raises(TransitionNotAllowed):
        do_publish_version(version, acting_user=None)
    do_retire_version(version, acting_user=None)
    version.refresh_from_db()
    assert version.status == VersionStatus.RETIRED and version.retired_at is not None


def test_the_status_cannot_be_set_directly():
    version = do_store_version(FULL_YAML, acting_user=None)
    with pytest.raises(AttributeError):
        version.status = VersionStatus.PUBLISHED


def test_a_published_version_is_never_edited():
    version = publish()
    version.source = version.source + "\n# edited"
    with pytest.raises(ImmutableVersion):
        version.save()
    version.refresh_from_db()
    assert version.source == FULL_YAML
    version.definition["title"] = {"fr": "Autre"}
    with pytest.raises(ImmutableVersion):
        version.save()


def test_a_draft_can_still_be_edited():
    version = do_store_version(FULL_YAML, acting_user=None)
    version.source = FULL_YAML + "\n# note"
    version.save()
    version.refresh_from_db()
    assert version.source.endswith("# note")


def test_two_concurrent_publications_of_the_same_draft_are_refused():
    version = do_store_version(FULL_YAML, acting_user=None)
    stale = ProcedureVersion.objects.get(pk=version.pk)
    do_publish_version(version, acting_user=None)
    with pytest.raises(EngineError):
        do_publish_version(stale, acting_user=None)


def test_new_cases_use_the_latest_published_version_and_running_cases_keep_theirs(world):
    publish()
    first = open_case(world)
    publish(FULL_YAML.replace("version: 1", "version: 2"))
    do_store_version(FULL_YAML.replace("version: 1", "version: 3"), acting_user=None)  # a draft: not used
    second = open_case(world)
    assert first.version.number == 1
    assert second.version.number == 2
    assert Case.objects.get(pk=first.pk).version.number == 1


def test_publishing_does_not_retire_the_previous_version():
    one = publish()
    publish(FULL_YAML.replace("version: 1", "version: 2"))
    one.refresh_from_db()
    assert one.status == VersionStatus.PUBLISHED


def test_no_case_can_be_opened_without_a_published_version(world):
    do_store_version(FULL_YAML, acting_user=None)
    with pytest.raises(EngineError, match="Aucune version publiée de la procédure « repair »"):
        open_case(world)
    assert not Case.objects.exists()


def test_do_store_version_saves_nothing_when_invalid():
    with pytest.raises(DefinitionInvalid):
        do_store_version("- not a mapping\n", acting_user=None)
    assert not Procedure.objects.exists()
