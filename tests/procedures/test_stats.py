import datetime

from django.utils import timezone

from procedures.stats import urgency_counts
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_COMMUNE_2, make_category
from tests.procedures.helpers import make_request_row


def at(year, month, day):
    return timezone.make_aware(datetime.datetime(year, month, day, 10))


def test_urgencies_are_counted_justified_or_not_per_commune_and_month(world):
    category = make_category()
    lon, lat = POINT_IN_COMMUNE_1
    for created, justified in [((2026, 3, 2), True), ((2026, 3, 20), False), ((2026, 3, 21), False),
                               ((2026, 4, 1), True)]:  # fmt: skip
        make_request_row(
            category, lon=lon, lat=lat, commune=world.commune, created_at=at(*created),
            urgency_requested="urgent", urgency="urgent", urgency_justified=justified,
        )  # fmt: skip
    make_request_row(category, lon=lon, lat=lat, commune=world.commune, created_at=at(2026, 3, 5))  # normal
    make_request_row(
        category, lon=POINT_IN_COMMUNE_2[0], lat=POINT_IN_COMMUNE_2[1], commune=world.commune_2,
        created_at=at(2026, 3, 5), urgency_requested="urgent", urgency="normal", urgency_justified=False,
    )  # fmt: skip
    rows = urgency_counts()
    assert [(r["commune"], r["month"], r["justified"], r["unjustified"]) for r in rows] == [
        ("Commune Deux", datetime.date(2026, 3, 1), 0, 1),
        ("Commune Une", datetime.date(2026, 3, 1), 1, 2),
        ("Commune Une", datetime.date(2026, 4, 1), 1, 0),
    ]
    assert len(urgency_counts(commune=world.commune, since=at(2026, 4, 1))) == 1
