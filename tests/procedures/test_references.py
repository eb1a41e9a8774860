import threading

import pytest
from django.db import connection, connections, transaction

from procedures.models import RequestCounter
from procedures.references import allocate_reference


def test_references_are_numbered_per_year_without_gaps(db):
    with transaction.atomic():
        first = [allocate_reference(2026) for _ in range(3)]
        other_year = allocate_reference(2027)
    assert first == ["DI-2026-000001", "DI-2026-000002", "DI-2026-000003"]
    assert other_year == "DI-2027-000001"
    assert dict(RequestCounter.objects.values_list("year", "last")) == {2026: 3, 2027: 1}


def test_a_rolled_back_filing_gives_its_number_back(db):
    with transaction.atomic():
        allocate_reference(2026)
    with pytest.raises(RuntimeError), transaction.atomic():
        allocate_reference(2026)
        raise RuntimeError("filing failed")
    with transaction.atomic():
        assert allocate_reference(2026) == "DI-2026-000002"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_allocate_outside_a_transaction():
    with pytest.raises(RuntimeError):
        allocate_reference(2026)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_filings_never_share_a_reference_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite serialises writers")
    results, errors, barrier = [], [], threading.Barrier(6)

    def worker():
        try:
            barrier.wait()
            for _ in range(10):
                with transaction.atomic():
                    results.append(allocate_reference(2026))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(results) == [f"DI-2026-{n:06d}" for n in range(1, 61)]
