from datetime import timedelta

import pytest
from django.utils import timezone

from procedures.duplicates import duplicate_candidates
from procedures.models import CategoryGroup
from tests.factories import POINT_IN_COMMUNE_1, make_category
from tests.procedures.helpers import make_request_row

# At 49° N, 0.0001° of longitude is about 7.3 m and 0.0001° of latitude about 11.1 m.
LON, LAT = POINT_IN_COMMUNE_1


@pytest.fixture
def categories(world):
    cleanliness = CategoryGroup.objects.create(code="clean", name="Propreté")
    roads = CategoryGroup.objects.create(code="roads", name="Voirie")
    return (
        make_category("bulky", group=cleanliness),
        make_category("dumping", group=cleanliness),
        make_category("pothole", group=roads),
    )


def test_candidates_are_near_recent_open_and_of_the_same_group_nearest_first(world, categories):
    bulky, dumping, pothole = categories
    now = timezone.now()
    near = make_request_row(dumping, lon=LON + 0.0003, lat=LAT, commune=world.commune)  # ~22 m
    nearer = make_request_row(bulky, lon=LON, lat=LAT + 0.0001, commune=world.commune)  # ~11 m
    make_request_row(bulky, lon=LON + 0.0010, lat=LAT, commune=world.commune)  # ~73 m: too far
    make_request_row(pothole, lon=LON, lat=LAT, commune=world.commune)  # other group
    make_request_row(bulky, lon=LON, lat=LAT, commune=world.commune, created_at=now - timedelta(days=31))
    make_request_row(bulky, lon=LON, lat=LAT, commune=world.commune, closed_at=now)
    assert list(duplicate_candidates(bulky, LON, LAT)) == [nearer, near]


def test_distance_and_window_come_from_the_settings(world, categories, settings):
    bulky, _dumping, _pothole = categories
    far = make_request_row(bulky, lon=LON + 0.0010, lat=LAT, commune=world.commune)
    old = make_request_row(
        bulky, lon=LON, lat=LAT, commune=world.commune, created_at=timezone.now() - timedelta(days=40)
    )
    assert list(duplicate_candidates(bulky, LON, LAT)) == []
    settings.GUP_DUPLICATE_DISTANCE_M = 100
    settings.GUP_DUPLICATE_WINDOW_DAYS = 45
    assert set(duplicate_candidates(bulky, LON, LAT)) == {far, old}


def test_the_candidate_lookup_is_one_query(world, categories, assert_queries):
    bulky, _dumping, _pothole = categories
    make_request_row(bulky, lon=LON, lat=LAT, commune=world.commune)
    with assert_queries(1):
        assert len(list(duplicate_candidates(bulky, LON, LAT))) == 1
