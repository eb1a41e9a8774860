"""The directory's write path: role assignments, perimeters, parcels and layer imports go through
directory.actions (permission checked, one transaction, one DirectoryAuditEntry), from the admin and the
import command alike."""

import json
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.urls import reverse
from shapely.geometry import box, mapping

from directory import actions
from directory.models import DirectoryAuditEntry, Layer, Parcel, Perimeter, RoleAssignment
from directory.roles import Role
from engine.errors import RoleNotAllowed
from tests.factories import make_user


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.admin_user)
    return client


def geometry_text(x0=1.705, y0=48.985, x1=1.706, y1=48.986):
    return json.dumps(mapping(box(x0, y0, x1, y1)))


def perimeter_form(perimeter, **changes):
    data = {
        "layer": perimeter.layer,
        "code": perimeter.code,
        "name": perimeter.name,
        "commune": perimeter.commune_id or "",
        "unit": perimeter.unit_id or "",
        "geometry": json.dumps(perimeter.geometry),
        "properties": json.dumps(perimeter.properties),
        "delegation_threshold_pct": str(perimeter.delegation_threshold_pct),
        "split_rules-TOTAL_FORMS": "0",
        "split_rules-INITIAL_FORMS": "0",
        "split_rules-MIN_NUM_FORMS": "0",
        "split_rules-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


def test_an_admin_edit_of_a_perimeter_writes_one_audit_entry_naming_the_fields(admin_client, world):
    qpv = Perimeter.objects.get(code="qpv-1")
    response = admin_client.post(
        reverse("admin:directory_perimeter_change", args=[qpv.pk]), perimeter_form(qpv, name="QPV renommé")
    )
    assert response.status_code == 302, response.content[:2000]
    qpv.refresh_from_db()
    assert qpv.name == "QPV renommé"
    entry = DirectoryAuditEntry.objects.get()
    assert (entry.event, entry.target, entry.actor) == (
        "perimeter_changed",
        "perimeter:qpv/qpv-1",
        world.admin_user,
    )
    assert "name" in entry.data["fields"] and "code" not in entry.data["fields"]


def test_an_admin_deletion_of_a_perimeter_is_audited(admin_client, world):
    qpv = Perimeter.objects.get(code="qpv-1")
    response = admin_client.post(reverse("admin:directory_perimeter_delete", args=[qpv.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Perimeter.objects.filter(code="qpv-1").exists()
    assert list(DirectoryAuditEntry.objects.values_list("event", "target")) == [
        ("perimeter_deleted", "perimeter:qpv/qpv-1")
    ]


def test_an_admin_edit_of_a_parcel_writes_one_audit_entry(admin_client, world):
    parcel = Parcel.objects.get(ref="LANDLORD-1")
    response = admin_client.post(
        reverse("admin:directory_parcel_change", args=[parcel.pk]),
        {
            "ref": parcel.ref,
            "owner": parcel.owner_id,
            "domain": parcel.domain,
            "geometry": geometry_text(),
            "ownerships-TOTAL_FORMS": "0",  # the read-only inline of ownership periods
            "ownerships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    parcel.refresh_from_db()
    assert parcel.max_lon == pytest.approx(1.706)
    entry = DirectoryAuditEntry.objects.get()
    assert (entry.event, entry.target, entry.actor) == (
        "parcel_changed",
        "parcel:LANDLORD-1",
        world.admin_user,
    )
    assert entry.data["fields"] == ["geometry"]


def test_an_invalid_geometry_in_the_admin_saves_nothing_and_writes_no_audit_entry(admin_client, world):
    parcel = Parcel.objects.get(ref="LANDLORD-1")
    response = admin_client.post(
        reverse("admin:directory_parcel_change", args=[parcel.pk]),
        {
            "ref": parcel.ref,
            "owner": parcel.owner_id,
            "domain": parcel.domain,
            "geometry": '{"type": "Point"}',
        },
    )
    assert response.status_code == 200
    assert not DirectoryAuditEntry.objects.exists()


def test_role_assignments_edited_in_the_user_admin_are_audited(admin_client, world):
    person = world.commune_user
    existing, *others = RoleAssignment.objects.filter(user=person).order_by("pk")
    url = reverse("admin:directory_user_change", args=[person.pk])
    page = admin_client.get(url)
    data = {
        key: value
        for key, value in page.context["adminform"].form.initial.items()
        if key not in ("groups", "user_permissions", "last_login", "date_joined", "password")
        and value is not None
    }
    data.update(
        {
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
            "organisation": person.organisation_id,
            "unit": person.unit_id or "",
            "role_assignments-TOTAL_FORMS": str(2 + len(others)),
            "role_assignments-INITIAL_FORMS": str(1 + len(others)),
            "role_assignments-MIN_NUM_FORMS": "0",
            "role_assignments-MAX_NUM_FORMS": "1000",
            "role_assignments-0-id": existing.pk,
            "role_assignments-0-user": person.pk,
            "role_assignments-0-role": existing.role,
            "role_assignments-0-DELETE": "on",
            f"role_assignments-{1 + len(others)}-user": person.pk,
            f"role_assignments-{1 + len(others)}-role": Role.DVQ_OFFICER,
        }
    )
    for n, other in enumerate(others, start=1):
        data.update(
            {
                f"role_assignments-{n}-id": other.pk,
                f"role_assignments-{n}-user": person.pk,
                f"role_assignments-{n}-role": other.role,
            }
        )
    response = admin_client.post(url, data)
    assert response.status_code == 302, [f.formset.errors for f in response.context["inline_admin_formsets"]]
    assert set(RoleAssignment.objects.filter(user=person).values_list("role", flat=True)) == {
        Role.DVQ_OFFICER,
        *(other.role for other in others),
    }
    assert sorted(DirectoryAuditEntry.objects.values_list("event", "target", "data")) == [
        ("role_assigned", "user:commune", {"role": Role.DVQ_OFFICER}),
        ("role_removed", "user:commune", {"role": existing.role}),
    ]
    assert set(DirectoryAuditEntry.objects.values_list("actor", flat=True)) == {world.admin_user.pk}


def test_assigning_a_role_needs_the_permission_and_writes_nothing_without_it(world):
    clerk = make_user(world.cu, username="clerk", is_staff=True)
    with pytest.raises(RoleNotAllowed):
        actions.do_assign_person_role(world.commune_user, Role.DVQ_OFFICER, acting_user=clerk)
    assert not RoleAssignment.objects.filter(user=world.commune_user, role=Role.DVQ_OFFICER).exists()
    clerk.user_permissions.add(Permission.objects.get(codename="add_roleassignment"))
    clerk = type(clerk).objects.get(pk=clerk.pk)  # permissions are cached per instance
    actions.do_assign_person_role(world.commune_user, Role.DVQ_OFFICER, acting_user=clerk)
    assert DirectoryAuditEntry.objects.get().actor == clerk
    actions.do_assign_person_role(world.commune_user, Role.DVQ_OFFICER, acting_user=clerk)  # already held
    assert DirectoryAuditEntry.objects.count() == 1
    with pytest.raises(RoleNotAllowed):
        actions.do_remove_person_role(world.commune_user, Role.DVQ_OFFICER, acting_user=clerk)


def test_saving_a_perimeter_or_a_parcel_or_importing_needs_the_permission(world):
    clerk = make_user(world.cu, username="clerk", is_staff=True)
    qpv = Perimeter.objects.get(code="qpv-1")
    qpv.name = "Changé"
    with pytest.raises(RoleNotAllowed):
        actions.do_save_perimeter(qpv, acting_user=clerk)
    with pytest.raises(RoleNotAllowed):
        actions.do_save_parcel(Parcel.objects.get(ref="LANDLORD-1"), acting_user=clerk)
    with pytest.raises(RoleNotAllowed):
        actions.do_delete_parcels(Parcel.objects.all(), acting_user=clerk)
    with pytest.raises(RoleNotAllowed):
        actions.do_import_layer(Layer.QPV, b"{}", acting_user=clerk)
    assert Perimeter.objects.get(code="qpv-1").name == "QPV Un"
    assert Parcel.objects.count() == 1
    assert not DirectoryAuditEntry.objects.exists()


def test_a_staff_user_without_the_permission_cannot_edit_a_perimeter_in_the_admin(client, world):
    clerk = make_user(world.cu, username="clerk", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_perimeter"))
    client.force_login(clerk)
    qpv = Perimeter.objects.get(code="qpv-1")
    response = client.post(
        reverse("admin:directory_perimeter_change", args=[qpv.pk]), perimeter_form(qpv, name="X")
    )
    assert response.status_code == 403
    assert Perimeter.objects.get(code="qpv-1").name == "QPV Un"
    assert not DirectoryAuditEntry.objects.exists()


def test_an_import_writes_one_audit_entry_with_its_counts(world, tmp_path):
    path = tmp_path / "qpv.geojson"
    features = [
        {
            "type": "Feature",
            "properties": {"code": f"new-{n}", "name": "Q"},
            "geometry": json.loads(geometry_text()),
        }
        for n in range(3)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    call_command("import_geojson", "--layer", "qpv", str(path), stdout=StringIO(), stderr=StringIO())
    entry = DirectoryAuditEntry.objects.get()
    assert (entry.event, entry.target, entry.actor) == ("layer_imported", "layer:qpv", None)
    assert entry.data["created"] == 3 and entry.data["updated"] == 0 and entry.data["source"] == str(path)


def test_a_refused_import_writes_no_audit_entry(world, tmp_path):
    path = tmp_path / "bad.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"}]}', encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_geojson", "--layer", "qpv", str(path), stdout=StringIO(), stderr=StringIO())
    assert not DirectoryAuditEntry.objects.exists()


def test_directory_audit_entries_are_append_only(world):
    actions.do_assign_person_role(world.commune_user, Role.DVQ_OFFICER, acting_user=None)
    entry = DirectoryAuditEntry.objects.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        DirectoryAuditEntry.objects.all().delete()


def test_a_nul_character_in_a_perimeters_properties_is_refused_by_the_admin_form(admin_client, world):
    qpv = Perimeter.objects.get(code="qpv-1")
    response = admin_client.post(
        reverse("admin:directory_perimeter_change", args=[qpv.pk]),
        perimeter_form(qpv, properties='{"note": "a\\u0000b"}'),
    )
    assert response.status_code == 200
    assert "properties.note contains a NUL character" in response.content.decode()
    assert Perimeter.objects.get(code="qpv-1").properties == qpv.properties
    assert not DirectoryAuditEntry.objects.exists()
