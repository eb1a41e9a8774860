"""Backlog snapshots (job, command, claims) and fines (action, bad input, nothing half-saved)."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import OutboxEvent
from observation import figures
from observation.actions import do_record_fine, do_take_backlog_snapshot, take_due_snapshots
from observation.figures import Filters
from observation.models import BacklogSnapshot, Fine, ObservationAuditEntry, SnapshotMonth
from tests.observation import scenario
from tests.procedures.helpers_actions import file, paris

YEAR = Filters(since=datetime.date(2026, 1, 1), until=datetime.date(2026, 12, 31))


@pytest.fixture
def year(requests_world, bulky, time_machine):
    requests = scenario.build(requests_world, bulky, time_machine)
    time_machine.move_to(paris(2026, 12, 1, 9, 0), tick=False)
    return requests


def test_the_backlog_curve_shows_what_was_still_to_do_at_each_month_end(year, requests_world):
    out = StringIO()
    call_command("backlog_snapshots", "--since", "2026-04", "--until", "2026-10", stdout=out)
    assert "7 taken" in out.getvalue()
    curve = figures.backlog(requests_world.admin_user, YEAR)
    # End of June: R4 (filed 30 June, done 2 July); end of September: R6, past its resolve deadline.
    assert [(row["month"].month, row["open"], row["overdue"]) for row in curve] == [
        (4, 0, 0), (5, 0, 0), (6, 1, 0), (7, 0, 0), (8, 0, 0), (9, 1, 1), (10, 1, 1),
    ]  # fmt: skip
    assert ObservationAuditEntry.objects.filter(event="backlog_snapshot_taken").count() == 7
    # Taken again: kept (a snapshot is what was seen then), unless --replace.
    call_command("backlog_snapshots", "--since", "2026-06", "--until", "2026-06", stdout=out)
    assert "0 taken, 1 already taken" in out.getvalue()
    assert BacklogSnapshot.objects.filter(month=datetime.date(2026, 6, 1)).count() == 1
    # A commune's user sees its own curve; another commune's a flat one.
    other = figures.backlog(requests_world.commune_2_user, YEAR)
    assert {row["open"] for row in other} == {0}


def test_the_worker_takes_the_last_month_once_and_a_second_claim_gets_nothing(year):
    assert take_due_snapshots() == 1  # November 2026
    assert take_due_snapshots() == 0
    assert list(SnapshotMonth.objects.values_list("month", flat=True)) == [datetime.date(2026, 11, 1)]
    assert do_take_backlog_snapshot(datetime.date(2026, 11, 1), acting_user=None) is None
    assert OutboxEvent.objects.filter(kind="observation.backlog_snapshot_taken").count() == 1


def test_a_month_not_over_or_a_bad_month_is_refused_with_nothing_written(year):
    with pytest.raises(InvalidFields) as error:
        do_take_backlog_snapshot(datetime.date(2026, 12, 1), acting_user=None)
    assert "month" in error.value.errors
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("backlog_snapshots", "--since", "2026-13")
    with pytest.raises(CommandError, match="n’est pas encore terminé"):
        call_command("backlog_snapshots", "--until", "2027-01")
    assert not SnapshotMonth.objects.exists() and not BacklogSnapshot.objects.exists()


def test_only_administrators_or_the_system_take_snapshots(year, requests_world):
    with pytest.raises(RoleNotAllowed):
        do_take_backlog_snapshot(datetime.date(2026, 6, 1), acting_user=requests_world.ctc_agent)
    assert not SnapshotMonth.objects.exists()


def test_the_commune_records_a_fine_and_it_counts_per_commune_and_category(year, requests_world, bulky):
    world = requests_world
    fine = do_record_fine(
        year[2], issued_on=datetime.date(2026, 6, 2), kind="littering", amount_eur="68,50",
        acting_user=world.commune_user,
    )  # fmt: skip
    assert str(fine.amount_eur) == "68.50"
    entry = ObservationAuditEntry.objects.get(event="fine_recorded", data__fine=fine.pk)
    assert (entry.actor, entry.data["amount_eur"], entry.target) == (
        world.commune_user,
        "68.50",
        f"request:{year[2].reference}",
    )
    assert OutboxEvent.objects.filter(kind="observation.fine_recorded", case_id=year[2].case_id).exists()
    requests = figures.observed_requests(world.admin_user, YEAR)
    by_commune = figures.fines(requests, by="commune")
    assert [(row["name"], row["count"], row["amount_eur"]) for row in by_commune] == [
        (world.commune.name, 2, Decimal("203.50"))
    ]
    assert [(row["name"], row["count"]) for row in figures.fines(requests, by="category")] == [
        (bulky.name, 2)
    ]
    # without an amount
    assert (
        do_record_fine(
            year[5], issued_on=datetime.date(2026, 9, 2), kind="other", acting_user=world.admin_user
        ).amount_eur
        is None
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "speeding"}, "kind"),
        ({"amount_eur": "1,234.5"}, "amount_eur"),
        ({"amount_eur": "-3"}, "amount_eur"),
        ({"amount_eur": "12.345"}, "amount_eur"),
        ({"issued_on": datetime.date(2027, 1, 1)}, "issued_on"),
        ({"issued_on": datetime.date(2026, 5, 1)}, "issued_on"),  # before the request
        ({"issued_on": "2026-06-02"}, "issued_on"),
    ],
)
def test_a_bad_fine_is_refused_naming_the_field_and_nothing_is_written(
    requests_world, bulky, time_machine, fields, field
):
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    request = file(requests_world, bulky)
    time_machine.move_to(paris(2026, 12, 1, 9, 0), tick=False)
    values = {"issued_on": datetime.date(2026, 6, 2), "kind": "littering", "amount_eur": "10", **fields}
    before = (Fine.objects.count(), ObservationAuditEntry.objects.count(), OutboxEvent.objects.count())
    with pytest.raises(InvalidFields) as error:
        do_record_fine(request, acting_user=requests_world.commune_user, **values)
    assert field in error.value.errors
    assert (
        Fine.objects.count(),
        ObservationAuditEntry.objects.count(),
        OutboxEvent.objects.count(),
    ) == before


def test_another_commune_or_a_handler_may_not_record_a_fine(year, requests_world):
    for user in (requests_world.commune_2_user, requests_world.ctc_agent):
        with pytest.raises(RoleNotAllowed):
            do_record_fine(year[2], issued_on=datetime.date(2026, 6, 2), kind="littering", acting_user=user)
    assert Fine.objects.count() == 1  # the scenario's


def test_a_request_filed_today_may_be_fined_today(requests_world, bulky, time_machine):
    time_machine.move_to(paris(2026, 3, 2, 9, 0), tick=False)
    request = file(requests_world, bulky)
    fine = do_record_fine(
        request,
        issued_on=datetime.date(2026, 3, 2),
        kind="fly_tipping",
        acting_user=requests_world.commune_user,
    )
    assert fine.request == request


def test_the_admin_records_a_fine_through_the_action_and_shows_bad_input_as_form_errors(year, requests_world):
    from django.test import Client

    browser = Client()
    browser.force_login(requests_world.admin_user)
    url = "/admin/observation/fine/add/"
    fields = {"request": year[2].pk, "issued_on": "2026-06-02", "kind": "littering", "amount_eur": "-5"}
    response = browser.post(url, fields)
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert Fine.objects.count() == 1
    response = browser.post(url, {**fields, "amount_eur": "35"})
    assert response.status_code == 302
    assert ObservationAuditEntry.objects.filter(
        event="fine_recorded", actor=requests_world.admin_user
    ).exists()
