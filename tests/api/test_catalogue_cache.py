"""The catalogue a filing reads comes from a per-process cache (procedures/catalogue_cache.py): a filing
after any change to a category, its attributes or criteria, a service level or a procedure version gives
what the database says, whether the change was made here (signals) or by another process (its bump)."""

import pytest

from directory.models import LayerVersion
from engine import actions as engine
from engine.errors import InvalidFields
from engine.models import Deadline, ProcedureVersion, VersionStatus
from procedures import actions
from procedures.models import CategoryAttribute, ServiceLevel, UrgencyCriterion
from tests.factories import POINT_IN_COMMUNE_1

LON, LAT = POINT_IN_COMMUNE_1


def file(world, **extra):
    values = {"category": "potholes", "description": "Un nid-de-poule.", "lon": LON, "lat": LAT, **extra}
    return actions.do_file_request(acting_user=world.commune_user, **values)


def acknowledge_hours(request):
    deadline = Deadline.objects.get(case_id=request.case_id, kind="acknowledge")
    return deadline.target_seconds / 3600


def catalogue_version():
    return LayerVersion.objects.filter(name="catalogue").values_list("version", flat=True).first() or 0


def test_a_new_or_changed_service_level_applies_to_the_next_filing(world, potholes):
    level = ServiceLevel.objects.create(
        name="Voirie", category=potholes, acknowledge_hours=16, resolve_hours=80
    )
    assert acknowledge_hours(file(world)) == 16
    level.acknowledge_hours = 4
    level.save()
    assert acknowledge_hours(file(world)) == 4
    ServiceLevel.objects.create(
        name="Voirie hors QPV", category=potholes, zone_type="other", acknowledge_hours=2, resolve_hours=80
    )
    assert acknowledge_hours(file(world)) == 2
    level.delete()
    ServiceLevel.objects.filter(name="Voirie hors QPV").update(is_active=False)  # no signal: not seen yet
    LayerVersion.bump("catalogue")  # ... until the writer bumps the counter, as another process would
    from procedures import conf

    assert acknowledge_hours(file(world)) == conf.get("GUP_DEFAULT_ACKNOWLEDGE_HOURS")


def test_a_category_switched_off_or_given_a_required_attribute_refuses_the_next_filing(world, potholes):
    file(world)
    before = catalogue_version()
    CategoryAttribute.objects.create(
        category=potholes, code="width", label="Largeur (cm)", type="number", required=True
    )
    assert catalogue_version() == before + 1
    with pytest.raises(InvalidFields) as refused:
        file(world)
    assert "attributes.width" in refused.value.errors
    assert file(world, attributes={"width": 30}).attributes == {"width": 30}
    potholes.is_active = False
    potholes.save()
    with pytest.raises(InvalidFields) as refused:
        file(world, attributes={"width": 30})
    assert set(refused.value.errors) == {"category"}  # unknown or inactive, nothing else checked


def test_a_new_urgency_criterion_is_known_to_the_next_filing(world, potholes):
    file(world, urgency="urgent", urgency_criteria=["danger"])
    UrgencyCriterion.objects.create(category=potholes, code="traffic", label="Gêne à la circulation")
    filed = file(world, urgency="urgent", urgency_criteria=["traffic"])
    assert [c.code for c in filed.urgency_criteria.all()] == ["traffic"] and filed.urgency_justified is True


def test_retiring_the_latest_version_opens_new_requests_on_the_one_before(world, potholes):
    latest = file(world).case.version
    engine.do_retire_version(latest, acting_user=world.admin_user)
    previous = (
        ProcedureVersion.objects.filter(procedure=latest.procedure, status=VersionStatus.PUBLISHED)
        .order_by("-number")
        .first()
    )
    assert file(world).case.version_id == previous.pk != latest.pk
