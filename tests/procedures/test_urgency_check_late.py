"""The commune does not justify an urgency in time: the DVQ is told (urgency_check on_late)."""

from engine.models import AuditEntry, OutboxEvent
from engine.sweeper import sweep
from procedures import actions
from procedures.models import Notification, ServiceLevel
from tests.procedures.helpers_actions import deliver, file, paris


def test_the_dvq_is_told_once_when_the_commune_does_not_justify_in_time(requests_world, bulky, time_machine):
    world = requests_world
    ServiceLevel.objects.create(name="Long", acknowledge_hours=70, resolve_hours=140)  # no deadline point due
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)  # Monday
    request = file(world, bulky, urgency="urgent")  # no criterion: the urgency check is raised
    alert = actions.open_urgency_alert(request)
    assert alert.answer_due_at == paris(2026, 6, 2, 17, 0)  # 2 business days
    deliver()
    before = Notification.objects.filter(user=world.dvq_officer, event="alert").count()
    time_machine.move_to(paris(2026, 6, 2, 17, 1), tick=False)
    assert sweep() == 1
    assert sweep() == 0
    deliver()
    notes = Notification.objects.filter(user=world.dvq_officer, event="alert").order_by("pk")
    assert notes.count() == before + 1
    assert request.reference in notes.last().text
    assert AuditEntry.objects.filter(case_id=request.case_id, event="alert_late").count() == 1
    assert OutboxEvent.objects.filter(case_id=request.case_id, kind="alert.late").count() == 1
    # A late answer is still accepted, and the DVQ decides as before.
    actions.do_justify_urgency(request, acting_user=world.commune_user, answer="Accès bloqué.")
    actions.do_dismiss_urgency_alert(request, acting_user=world.dvq_officer)
    request.refresh_from_db()
    assert request.urgency_justified is True


def test_a_justified_urgency_check_does_not_tell_the_dvq_again(requests_world, bulky, time_machine):
    world = requests_world
    time_machine.move_to(paris(2026, 6, 1, 8, 30), tick=False)
    request = file(world, bulky, urgency="urgent")
    actions.do_justify_urgency(request, acting_user=world.commune_user, answer="Accès bloqué.")
    time_machine.move_to(paris(2026, 6, 4, 9, 0), tick=False)
    sweep()
    assert not AuditEntry.objects.filter(case_id=request.case_id, event="alert_late").exists()
    assert not OutboxEvent.objects.filter(case_id=request.case_id, kind="alert.late").exists()
