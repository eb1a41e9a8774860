"""The queue's tabs and the request list count at most queries.COUNT_CAP rows: past it they say "more
than", and a page runs the same number of queries whatever the table's size and however full the page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.web.test_requests import EN, body_of, file_request
from web import queries


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(queries, "COUNT_CAP", 4)
    monkeypatch.setattr("web.views_requests.lists.PAGE_SIZE", 3)


def queries_of(client, url, params):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params, **EN)
    assert response.status_code == 200, body_of(response)[-2000:]
    return len(context.captured_queries), body_of(response)


def test_the_queue_and_the_list_take_the_same_queries_at_two_table_sizes_and_cap_their_counts(
    client, world, procedure, category, small_pages
):
    for n in range(2):
        file_request(client, world.commune_user, description=f"banc cassé {n}")
    client.force_login(world.ctc_agent)
    queue_few, page = queries_of(client, reverse("queue"), {"queue": "team"})
    assert "team&#x27;s (2)</a>" in page and "2 requests" in page and "More than" not in page
    list_few, page = queries_of(client, reverse("request-list"), {})
    assert "2 requests" in page
    for n in range(6):
        file_request(client, world.commune_user, description=f"banc cassé {n + 2}")
    client.force_login(world.ctc_agent)
    queue_many, page = queries_of(client, reverse("queue"), {"queue": "team"})
    assert "team&#x27;s (5+)</a>" in page  # counted over at most COUNT_CAP + 1 rows
    assert "More than 4 requests" in page and "Page 1 of 2" in page
    assert page.count('<a href="/requests/DI-') == 3  # a full page
    list_many, page = queries_of(client, reverse("request-list"), {})
    assert "More than 4 requests" in page and "Page 1 of 2" in page
    assert (queue_many, list_many) == (queue_few, list_few)
    filtered_few, page = queries_of(client, reverse("queue"), {"queue": "team", "q": "banc cassé 1"})
    assert "1 request" in page and "More than" not in page
    filtered_many, _page = queries_of(client, reverse("queue"), {"queue": "team", "q": "banc"})
    assert filtered_many == filtered_few


def test_the_capped_counts_are_exact_under_the_cap(world, procedure, category, client):
    for n in range(3):
        file_request(client, world.commune_user, description=f"tag {n}")
    counts, capped = queries.capped_queue_counts(world.ctc_agent, cap=3)
    assert (counts["team"], capped) == (3, False)
    assert counts == queries.queue_counts(world.ctc_agent)
    counts, capped = queries.capped_queue_counts(world.ctc_agent, cap=2)
    assert (counts["team"], capped) == (3, True)  # cap + 1 rows read: "more than 2"
