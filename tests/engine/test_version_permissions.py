"""Storing, publishing and retiring procedure versions: who may, and the append-only record of it."""

import pytest
from guardian.shortcuts import assign_perm

from engine.actions import do_publish_version, do_retire_version, do_store_version
from engine.errors import RoleNotAllowed
from engine.models import ProcedureVersion, VersionEvent, VersionStatus
from tests.engine.conftest import FULL_YAML


def _draft():
    return do_store_version(FULL_YAML, acting_user=None)


def test_it_refuses_to_publish_for_a_user_without_permission(world):
    version = _draft()
    with pytest.raises(RoleNotAllowed, match="administrateurs de cette procédure"):
        do_publish_version(version, acting_user=world.ctc_agent)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert list(VersionEvent.objects.values_list("event", flat=True)) == ["stored"]


def test_it_refuses_to_store_a_new_version_for_a_user_without_permission(world):
    with pytest.raises(RoleNotAllowed):
        do_store_version(FULL_YAML, acting_user=world.commune_user)
    assert not ProcedureVersion.objects.exists()
    assert not VersionEvent.objects.exists()


def test_a_procedure_administrator_by_object_permission_publishes_and_it_is_recorded(world):
    version = _draft()
    assign_perm("engine.change_procedure", world.ctc_lead, version.procedure)
    do_publish_version(version, acting_user=world.ctc_lead)
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    event = VersionEvent.objects.get(event="published")
    assert (event.actor, event.from_status, event.to_status) == (world.ctc_lead, "draft", "published")


def test_the_object_permission_is_limited_to_its_procedure(world):
    version = _draft()
    other = do_store_version(
        FULL_YAML.replace("procedure: repair", "procedure: other-repair"), acting_user=None
    )
    assign_perm("engine.change_procedure", world.ctc_lead, other.procedure)
    with pytest.raises(RoleNotAllowed):
        do_publish_version(version, acting_user=world.ctc_lead)


def test_an_administrator_retires_and_the_history_lists_every_step(world):
    version = do_store_version(FULL_YAML, acting_user=world.admin_user, publish=True)
    do_retire_version(version, acting_user=world.admin_user)
    history = list(version.events.values_list("event", "from_status", "to_status", "actor"))
    assert history == [
        ("stored", "", "draft", world.admin_user.pk),
        ("published", "draft", "published", world.admin_user.pk),
        ("retired", "published", "retired", world.admin_user.pk),
    ]


def test_version_events_are_append_only(world):
    event = VersionEvent.objects.get(version=_draft())
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
