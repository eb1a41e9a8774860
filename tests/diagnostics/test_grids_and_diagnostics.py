import datetime

import pytest

from diagnostics.actions import (
    do_copy_grid_version,
    do_create_diagnostic,
    do_create_grid_version,
    do_edit_grid_version,
    do_move_diagnostic,
    do_publish_grid_version,
)
from diagnostics.models import DiagnosticAuditEntry, GridItem, GridVersion
from diagnostics.scope import diagnostics_visible_to
from engine.errors import ImmutableVersion, InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from tests.diagnostics.conftest import GRID

pytestmark = pytest.mark.django_db


def test_it_publishes_a_grid_and_keeps_the_published_version_unchanged(world, grid):
    assert grid.status == "published"
    assert GridItem.objects.filter(theme__version=grid).count() == 3
    assert GridItem.objects.get(theme__version=grid, code="encombrants").category.code == "bulky"
    grid.source = grid.source.replace("Grille de test", "Autre")
    with pytest.raises(ImmutableVersion):
        grid.save()
    with pytest.raises(InvalidFields) as error:
        do_edit_grid_version(grid, GRID.replace("Corbeilles", "Bancs"), acting_user=world.admin_user)
    assert "source" in error.value.errors


def test_it_copies_a_grid_into_a_draft_that_can_be_adapted_and_published_while_diagnostics_keep_theirs(
    world, diagnostic, grid
):
    copy = do_copy_grid_version(grid, acting_user=world.admin_user)
    assert (copy.number, copy.status, copy.copied_from_id) == (2, "draft", grid.pk)
    do_edit_grid_version(copy, GRID.replace("Corbeilles", "Bancs cassés"), acting_user=world.admin_user)
    assert GridItem.objects.filter(theme__version=copy, label="Bancs cassés").exists()
    do_publish_grid_version(copy, acting_user=world.admin_user)
    grid.refresh_from_db()
    assert grid.status == "retired"
    diagnostic.refresh_from_db()
    assert diagnostic.grid_version_id == grid.pk
    assert GridItem.objects.filter(theme__version=grid, label="Corbeilles").exists()
    events = list(
        DiagnosticAuditEntry.objects.filter(target__startswith="grid:").values_list("event", flat=True)
    )
    assert events == [
        "grid_version_created",
        "grid_version_published",
        "grid_version_created",
        "grid_version_edited",
        "grid_version_published",
    ]


def test_it_refuses_a_grid_with_problems_naming_them_and_saves_nothing(world, bulky):
    bad = GRID.replace("{value: 3", "{value: 1").replace("category: bulky}", "category: nope}", 1)
    with pytest.raises(InvalidFields) as error:
        do_create_grid_version(bad, acting_user=world.admin_user)
    message = error.value.errors["source"]
    assert "values must increase" in message or "doivent" in message
    assert "nope" in message
    assert not GridVersion.objects.exists()
    assert not DiagnosticAuditEntry.objects.exists()


def test_it_refuses_grid_edits_to_non_administrators(world, bulky):
    with pytest.raises(RoleNotAllowed):
        do_create_grid_version(GRID, acting_user=world.commune_user)


def test_it_prepares_a_diagnostic_and_moves_it_through_its_lifecycle(world, grid):
    before = OutboxEvent.objects.count()
    route = {"type": "LineString", "coordinates": [[1.706, 48.986], [1.710, 48.990], [1.714, 48.994]]}
    diagnostic = do_create_diagnostic(
        acting_user=world.commune_user,
        commune=world.commune,
        title="Tour du QPV",
        date="2026-11-20",
        grid_version=grid,
        qpv=world.qpv,
        route=route,
        residents_count="5",
        participants=["landlord"],
    )
    assert diagnostic.status == "prepared"
    assert 1000 < diagnostic.route_length_m < 1200
    assert list(diagnostic.participants.values_list("code", flat=True)) == ["landlord"]
    for step, status in [
        ("start_field", "in_field"),
        ("start_analysis", "under_analysis"),
        ("close", "closed"),
    ]:
        diagnostic = do_move_diagnostic(diagnostic, step, acting_user=world.commune_user)
        assert diagnostic.status == status
    with pytest.raises(InvalidFields):
        do_move_diagnostic(diagnostic, "close", acting_user=world.commune_user)
    audit = list(
        DiagnosticAuditEntry.objects.filter(target=f"diagnostic:{diagnostic.pk}").values_list("event", "data")
    )
    assert [event for event, _data in audit] == ["diagnostic_created"] + ["diagnostic_moved"] * 3
    assert audit[1][1]["old"] == "prepared" and audit[1][1]["new"] == "in_field"
    kinds = list(OutboxEvent.objects.order_by("pk").values_list("kind", flat=True)[before:])
    assert kinds == ["diagnostics.diagnostic_created"] + ["diagnostics.diagnostic_moved"] * 3


def test_it_refuses_a_diagnostic_with_bad_fields_and_writes_nothing(world, grid):
    with pytest.raises(InvalidFields) as error:
        do_create_diagnostic(
            acting_user=world.commune_user,
            commune=world.commune,
            title=" ",
            date="20/11/2026",
            grid_version=grid,
            qpv="nope",
            route={"type": "Point", "coordinates": [1.7, 48.9]},
            residents_count=-3,
        )
    assert set(error.value.errors) == {"title", "date", "qpv", "route", "residents_count"}
    assert not DiagnosticAuditEntry.objects.filter(target__startswith="diagnostic:").exists()


def test_it_refuses_a_diagnostic_in_another_commune_to_a_commune_user(world, grid):
    with pytest.raises(RoleNotAllowed):
        do_create_diagnostic(
            acting_user=world.commune_user,
            commune=world.commune_2,
            title="Ailleurs",
            date=datetime.date(2026, 11, 20),
            grid_version=grid,
        )


def test_the_scope_is_the_commune_and_the_participants(world, diagnostic):
    assert list(diagnostics_visible_to(world.commune_user)) == [diagnostic]
    assert list(diagnostics_visible_to(world.landlord_agent)) == [diagnostic]
    assert list(diagnostics_visible_to(world.admin_user)) == [diagnostic]
    assert not diagnostics_visible_to(world.commune_2_user).exists()
    assert not diagnostics_visible_to(world.ctc_agent).exists()


def test_the_admin_stores_copies_and_publishes_grid_versions_through_the_actions(world, bulky, client):
    client.force_login(world.admin_user)
    answer = client.post("/admin/diagnostics/gridversion/add/", {"source": "code: x\n"})
    assert answer.status_code == 200 and GridVersion.objects.count() == 0  # errors shown, nothing stored
    answer = client.post("/admin/diagnostics/gridversion/add/", {"source": GRID})
    assert answer.status_code == 302
    version = GridVersion.objects.get()
    client.post(
        "/admin/diagnostics/gridversion/", {"action": "publish_versions", "_selected_action": [version.pk]}
    )
    client.post(
        "/admin/diagnostics/gridversion/", {"action": "copy_versions", "_selected_action": [version.pk]}
    )
    assert list(GridVersion.objects.order_by("number").values_list("number", "status")) == [
        (1, "published"),
        (2, "draft"),
    ]
    page = client.get(f"/admin/diagnostics/gridversion/{version.pk}/change/")
    assert page.status_code == 200 and b"<textarea" not in page.content  # a published version is read only
    events = set(DiagnosticAuditEntry.objects.values_list("event", flat=True))
    assert {"grid_version_created", "grid_version_published"} <= events


def test_load_grid_loads_the_default_grid_once_and_refuses_a_bad_file_in_one_line(world, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    from procedures.demo import load_categories

    load_categories()
    out = StringIO()
    call_command("load_grid", "--publish", stdout=out)
    call_command("load_grid", "--publish", stdout=out)
    assert out.getvalue().splitlines() == [
        "Loaded grille-standard v1 (published).",
        "Already loaded: grille-standard v1 (published).",
    ]
    assert GridItem.objects.filter(theme__version__grid__code="grille-standard").count() > 20
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: [oops\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        call_command("load_grid", str(bad))
    assert "\n" not in str(error.value) and "YAML" in str(error.value)
    with pytest.raises(CommandError):
        call_command("load_grid", str(tmp_path / "missing.yaml"))
    assert GridVersion.objects.count() == 1
