"""Requests filed inside an active sub-sector procedure follow its split, its procedure and its overrides."""

from procedures.actions import do_file_request
from procedures.models import InterventionRequest
from procedures.sectors import routing as sector_routing

IN_SECTOR = (1.716, 48.996)  # inside the perimeter, outside the car park
IN_CAR_PARK = (1.704, 48.984)
OUTSIDE = (1.719, 48.999)  # in commune 1, outside the perimeter


def file(sector, category, point, **extra):
    return do_file_request(
        acting_user=sector.world.commune_user,
        category=category,
        description="Dépôt sauvage (fictif)",
        lon=point[0],
        lat=point[1],
        **extra,
    )


def test_a_request_inside_follows_the_split_row_of_its_group_and_the_procedure_of_the_version(active):
    request = file(active, active.tags, IN_SECTOR)
    assert request.handler_unit == active.regie_unit
    assert request.sector_version_id == active.version.pk
    assert request.case.version_id == active.variant.pk
    assert "Secteur nord du Val" in request.routing_explanation
    assert "version 1" in request.routing_explanation
    assert "Balayage deux fois par semaine" in request.routing_explanation
    message = request.messages.order_by("pk").first().body
    assert "Secteur nord du Val" in message and "Équipe de la régie" in message
    assert "regie-team" not in message


def test_the_zone_row_wins_over_the_group_row_in_the_car_park(active):
    request = file(active, active.bulky, IN_CAR_PARK)
    assert request.handler_unit == active.world.ctc
    assert "Parking" in request.routing_explanation


def test_a_category_without_a_row_goes_to_the_delegated_manager_of_the_perimeter(active):
    version = active.version
    assert version.delegated_manager == active.world.landlord  # its parcel is all the land inside
    assert version.land_shares[0]["share_pct"] == 100.0
    request = file(active, active.lighting, IN_SECTOR)
    assert request.sector_version_id == version.pk
    assert request.handler_unit == active.world.landlord_agency
    assert (
        "owner of most of its land" in request.routing_explanation
        or "propriétaire" in request.routing_explanation
    )
    assert "Secteur nord du Val" in request.routing_explanation


def test_a_request_outside_the_perimeter_follows_the_usual_rules(active):
    request = file(active, active.tags, OUTSIDE)
    assert request.sector_version_id is None
    assert request.case.version.procedure.code == "intervention-request"


def test_a_draft_procedure_routes_nothing(draft):
    request = file(draft, draft.tags, IN_SECTOR)
    assert request.sector_version_id is None
    assert sector_routing.decide(*IN_SECTOR, draft.tags.pk) is None


def test_overrides_give_the_stricter_targets(active):
    from procedures.service_levels import targets_for_request

    request = file(active, active.tags, IN_SECTOR)
    targets = targets_for_request(InterventionRequest.objects.get(pk=request.pk))
    assert (targets.acknowledge_hours, targets.resolve_hours) == (4, 16)
    other = file(active, active.bulky, IN_SECTOR)
    assert targets_for_request(InterventionRequest.objects.get(pk=other.pk)).resolve_hours != 16


def test_redirecting_a_request_without_a_target_follows_the_sector_procedure_active_now(draft):
    """Filed before the procedure was active (the usual routing: CTC Un), redirected after: its split
    gives the request to the régie; the request keeps the sector version of its filing (none)."""
    from procedures.actions import do_file_request
    from procedures.actions.redirect import do_redirect_request
    from procedures.sectors import approvals
    from tests.sectors.conftest import approve_all

    world = draft.world
    request = do_file_request(
        acting_user=world.commune_user,
        category=draft.tags,
        description="Tags (fictif)",
        lon=1.716,
        lat=48.996,
    )
    assert request.handler_unit == world.ctc and request.sector_version is None
    approvals.do_submit_sector_version(draft.version, acting_user=world.admin_user)
    approve_all(draft.version)
    redirected = do_redirect_request(request, acting_user=world.ctc_lead, reason="Dans la procédure du Val")
    redirected.refresh_from_db()
    assert redirected.handler_unit == draft.regie_unit and redirected.sector_version is None
