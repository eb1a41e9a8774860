"""What the commune reads: who handles its request and why in plain French (names, no codes, no routing
rule wording, which stays for staff in routing_explanation), what "done" means and until when, the DVQ's
urgency check in words that cannot be read both ways, and the notifications built from them."""

from datetime import date

import pytest
from django.utils import translation

from directory.models import Competence
from procedures import actions
from procedures.models import MessageKind, Notification, RequestMessage
from tests.factories import POINT_IN_COMMUNE_1, POINT_IN_QPV, make_category
from tests.procedures.helpers_actions import deliver, file, paris


@pytest.fixture
def dumping(requests_world):
    """Fly-tipping, handled directly by the waste direction in both communes."""
    category = make_category("depot-sauvage", name="Dépôt sauvage", name_en="Fly-tipping")
    Competence.objects.create(unit=requests_world.waste, category=category, direct_handling=True)
    return category


@pytest.fixture
def lighting(requests_world):
    """Street lighting, handled by the CTC of each commune (and by the landlord on its land)."""
    category = make_category("eclairage", name="Éclairage public", name_en="Street lighting")
    Competence.objects.create(unit=requests_world.ctc, category=category)
    Competence.objects.create(unit=requests_world.landlord_agency, category=category)
    return category


def first_message(request):
    return RequestMessage.objects.filter(request=request).order_by("pk").first()


def test_a_request_sent_straight_to_the_waste_direction_tells_the_commune_who_and_why_in_plain_french(
    requests_world, dumping
):
    with translation.override("en"):  # whoever files it, the commune reads French
        request = file(requests_world, dumping)
    message = first_message(request)
    assert message.kind == MessageKind.FILED
    assert message.body == (
        f"Votre demande {request.reference} a été déposée. "
        "À Commune Une, les demandes « Dépôt sauvage » sont confiées directement à Déchets."
    )
    for code in ("depot-sauvage", "(waste)", "va directement", "Motif"):
        assert code not in message.body
    # the staff keep the technical explanation (which rule, with the codes)
    assert "depot-sauvage" in request.routing_explanation and "(waste)" in request.routing_explanation


def test_a_request_handled_by_the_competent_ctc_names_the_ctc_and_the_category(requests_world, lighting):
    request = file(requests_world, lighting, point=POINT_IN_COMMUNE_1)
    body = first_message(request).body
    assert body == (
        f"Votre demande {request.reference} a été déposée. "
        "À Commune Une, les demandes « Éclairage public » sont traitées par CTC Un."
    )
    assert "eclairage" not in body and "compétent" not in body and "ctc-1" not in body


def test_a_request_on_a_landlord_s_land_says_the_place_belongs_to_the_landlord(requests_world, lighting):
    request = file(requests_world, lighting, point=POINT_IN_QPV)
    assert first_message(request).body == (
        f"Votre demande {request.reference} a été déposée. Le lieu appartient à Bailleur, qui s'occupe de "
        "« Éclairage public » sur ses terrains : la demande est traitée par Agence."
    )


def test_a_request_no_rule_decides_says_the_ctc_will_pass_it_on_without_the_rule_s_wording(
    requests_world, bulky
):
    request = file(requests_world, bulky)
    body = first_message(request).body
    assert body == (
        f"Votre demande {request.reference} a été déposée. Aucun service n'est désigné pour « Encombrants » "
        "à cet endroit : CTC Un, le centre technique de Commune Une, examine la demande et la transmet au "
        "bon service."
    )
    assert "Aucune règle" not in body and "bulky" not in body


def test_the_done_message_says_until_when_it_can_be_reopened_and_when_it_closes_by_itself(
    requests_world, bulky, time_machine
):
    world = requests_world
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    request = file(world, bulky)
    for code, fields in [
        ("acknowledge", {}),
        ("qualify", {}),
        ("start_work", {}),
        ("finish", {"resolution_note": "Canapé enlevé."}),
    ]:
        actions.do_transition_request(request, code, acting_user=world.ctc_agent, fields=fields)
    done = RequestMessage.objects.filter(request=request, kind=MessageKind.DONE).get()
    assert done.body == (
        f"La demande {request.reference} est réalisée. Ce qui a été fait : Canapé enlevé. Si le problème est "
        "réglé, merci de le confirmer. Sans réponse de votre part, la demande sera clôturée "
        "automatiquement le 11 juin 2026 (10 jours après l'intervention). Si le problème n'est pas réglé, "
        "vous pouvez la rouvrir jusqu'au 16 juin 2026 (15 jours après l'intervention), même une fois "
        "clôturée."
    )


def test_the_done_message_does_not_promise_a_reopening_after_the_window_when_it_is_shorter(
    requests_world, bulky, time_machine, settings
):
    settings.GUP_REOPEN_WINDOW_DAYS = 5
    world = requests_world
    time_machine.move_to(paris(2026, 6, 1, 9, 0), tick=False)
    request = file(world, bulky)
    for code, fields in [("acknowledge", {}), ("qualify", {}), ("start_work", {})]:
        actions.do_transition_request(request, code, acting_user=world.ctc_agent, fields=fields)
    actions.do_transition_request(
        request, "finish", acting_user=world.ctc_agent, fields={"resolution_note": "Fait."}
    )
    body = RequestMessage.objects.get(request=request, kind=MessageKind.DONE).body
    assert body.endswith("vous pouvez la rouvrir jusqu'au 6 juin 2026 (5 jours après l'intervention).")


def test_the_dvq_s_decisions_on_an_urgency_check_read_one_way_only(requests_world, bulky):
    world = requests_world
    kept = file(world, bulky, urgency="urgent")  # no criterion: an urgency check is raised
    actions.do_justify_urgency(
        kept, acting_user=world.commune_user, answer="L'entrée de l'école est bloquée."
    )
    actions.do_dismiss_urgency_alert(kept, acting_user=world.dvq_officer)
    removed = file(world, bulky, urgency="urgent", description="Un autre canapé.")
    actions.do_uphold_urgency_alert(removed, acting_user=world.dvq_officer, note="Rien ne bloque l'accès.")
    last = RequestMessage.objects.filter(kind=MessageKind.URGENCY).order_by("pk")
    assert [m.body for m in last.filter(request=kept)][-1] == (
        f"La DVQ a accepté votre justification : la demande {kept.reference} reste urgente."
    )
    assert [m.body for m in last.filter(request=removed)][-1] == (
        f"La DVQ a confirmé son alerte : la demande {removed.reference} n'est plus urgente."
    )
    # The DVQ's decision note is internal: kept on the alert, never in what the commune reads.
    assert not RequestMessage.objects.filter(body__contains="Rien ne bloque").exists()
    assert removed.case.alerts.get(code="urgency_check").note == "Rien ne bloque l'accès."


def test_the_urgency_check_notifications_name_it_in_words_not_by_its_code(requests_world, bulky):
    world = requests_world
    request = file(world, bulky, urgency="urgent")
    actions.do_justify_urgency(request, acting_user=world.commune_user, answer="Accès pompiers bloqué.")
    actions.do_uphold_urgency_alert(request, acting_user=world.dvq_officer)
    with translation.override("fr"):
        deliver()
    texts = set(Notification.objects.filter(request=request).values_list("text", flat=True))
    ref = request.reference
    assert f"La DVQ demande à la commune de justifier l'urgence de la demande {ref}." in texts
    assert f"La commune a répondu au contrôle de l'urgence de la demande {ref}." in texts
    assert f"La DVQ a confirmé son alerte sur la demande {ref} : elle n'est plus urgente." in texts
    assert not [text for text in texts if "urgency_check" in text or "levée" in text]


def test_the_plan_message_keeps_its_date_in_french(requests_world, bulky):
    world = requests_world
    request = file(world, bulky)
    for code in ("acknowledge", "qualify"):
        actions.do_transition_request(request, code, acting_user=world.ctc_agent)
    with translation.override("en"):
        actions.do_transition_request(
            request, "plan", acting_user=world.ctc_agent, fields={"planned_date": date(2030, 6, 3)}
        )
    assert RequestMessage.objects.get(request=request, kind=MessageKind.PLANNED).body == (
        f"L'intervention concernant la demande {request.reference} est prévue le 3 juin 2030."
    )


def test_open311_status_notes_carry_the_plain_message_not_the_routing_codes(requests_world, dumping, client):
    request = file(requests_world, dumping)
    response = client.get(f"/open311/v2/requests/{request.reference}.json")
    assert response.status_code == 200
    (item,) = response.json()
    assert item["status_notes"] == (
        f"Votre demande {request.reference} a été déposée. "
        "À Commune Une, les demandes « Dépôt sauvage » sont confiées directement à Déchets."
    )
    assert "(waste)" not in response.content.decode()  # service_code is the category code, by the spec


def test_the_commune_s_email_is_the_plain_message(requests_world, dumping, mailoutbox):
    world = requests_world
    world.commune_user.email = "referent@commune-une.example.org"
    world.commune_user.save()
    request = file(world, dumping)
    with translation.override("fr"):
        deliver()
    (email,) = [mail for mail in mailoutbox if mail.to == ["referent@commune-une.example.org"]]
    assert email.body.startswith(
        f"Votre demande {request.reference} a été déposée. "
        "À Commune Une, les demandes « Dépôt sauvage » sont confiées directement à Déchets.\n\n"
    )
    assert "(waste)" not in email.body and "depot-sauvage" not in email.body + email.subject


def test_the_dvq_s_decision_note_is_read_by_the_services_never_by_the_commune(requests_world, bulky):
    from django.test import Client
    from django.urls import reverse
    from rest_framework.test import APIClient

    world = requests_world
    request = file(world, bulky, urgency="urgent")  # no criterion: an urgency check is raised
    actions.do_justify_urgency(request, acting_user=world.commune_user, answer="Accès pompiers bloqué.")
    actions.do_uphold_urgency_alert(
        request, acting_user=world.dvq_officer, note="Demande d'élu, pas un critère."
    )
    alert_id = request.case.alerts.get(code="urgency_check").pk

    def reads_note(user):
        web = Client()
        web.force_login(user)
        page = web.get(reverse("request-detail", args=[request.reference]))
        assert page.status_code == 200
        api = APIClient()
        api.force_authenticate(user)
        listed = api.get("/api/v1/alerts/", {"request": request.pk})
        detail = api.get(f"/api/v1/alerts/{alert_id}/")
        assert listed.status_code == detail.status_code == 200
        notes = {listed.json()["results"][0]["note"], detail.json()["note"]}
        in_page = "Demande d&#x27;élu, pas un critère." in page.content.decode()
        assert len(notes) == 1 and in_page == (notes == {"Demande d'élu, pas un critère."})
        return in_page

    assert reads_note(world.dvq_officer) and reads_note(world.ctc_agent)
    assert not reads_note(world.commune_user)
    assert "Demande d" not in " ".join(
        RequestMessage.objects.filter(request=request).values_list("body", flat=True)
    )
