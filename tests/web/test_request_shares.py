"""The "Partager" section of the request page (no browser): share one request with one person, read only."""

import pytest
from django.urls import reverse

from engine.models import AuditEntry, CaseUserObjectPermission, OutboxEvent
from procedures import actions
from procedures.models import InterventionRequest
from tests.factories import POINT_IN_COMMUNE_1


@pytest.fixture
def filed(world, procedure, category, client):
    client.force_login(world.commune_user)
    response = client.post(
        reverse("request-new"),
        {
            "file": "1",
            "category": "encombrants",
            "description": "Un matelas sur le trottoir",
            "lon": POINT_IN_COMMUNE_1[0],
            "lat": POINT_IN_COMMUNE_1[1],
            "urgency": "normal",
            "attr_access": "pavement",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    client.logout()
    return InterventionRequest.objects.latest("pk")


def page_of(client, user, request):
    client.force_login(user)
    return client.get(reverse("request-detail", args=[request.reference]))


def test_a_handler_shares_the_request_and_takes_it_back_without_javascript(client, world, filed):
    detail = reverse("request-detail", args=[filed.reference])
    assert page_of(client, world.landlord_agent, filed).status_code == 404
    assert filed.reference not in client.get(reverse("request-list")).content.decode()

    page = page_of(client, world.ctc_agent, filed).content.decode()
    assert '<h2 id="shares-title">Partager</h2>' in page and "Partagée avec personne." in page
    response = client.post(
        reverse("request-share", args=[filed.reference]),
        {"share-user": "landlord", "share-reason": "Visite du site"},
    )
    assert response.status_code == 302 and response["Location"] == detail
    page = client.get(detail).content.decode()
    assert f"{filed.reference} est maintenant partagée avec landlord, en lecture seule." in page
    assert "landlord · Bailleur" in page and "Retirer</button>" in page
    entry = AuditEntry.objects.get(case_id=filed.case_id, event="shared")
    assert (entry.actor, entry.reason) == (world.ctc_agent, "Visite du site")
    assert OutboxEvent.objects.filter(case_id=filed.case_id, kind="case.shared").count() == 1

    # The shared user reads the page, without any step, comment or file form, and finds it in the list.
    response = page_of(client, world.landlord_agent, filed)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Cette demande a été partagée avec vous" in page
    assert 'id="next-steps"' not in page and "/steps/" not in page
    assert reverse("request-comment", args=[filed.reference]) not in page
    assert reverse("request-attach", args=[filed.reference]) not in page
    assert 'id="shares-title"' not in page and 'id="audit-title"' not in page
    assert filed.reference in client.get(reverse("request-list")).content.decode()
    refused = client.post(reverse("request-transition", args=[filed.reference, "acknowledge"]))
    assert refused.status_code == 400
    filed.case.refresh_from_db()
    assert filed.case.state == "submitted"

    client.force_login(world.ctc_agent)
    response = client.post(reverse("request-unshare", args=[filed.reference, world.landlord_agent.pk]))
    assert response.status_code == 302
    assert "Le partage de" in client.get(detail).content.decode()
    assert AuditEntry.objects.filter(case_id=filed.case_id, event="unshared", actor=world.ctc_agent).exists()
    assert page_of(client, world.landlord_agent, filed).status_code == 404
    assert filed.reference not in client.get(reverse("request-list")).content.decode()


def test_the_requester_and_the_shared_user_get_no_section_and_a_403(client, world, filed):
    client.force_login(world.ctc_agent)
    client.post(reverse("request-share", args=[filed.reference]), {"share-user": "landlord"})
    before = (AuditEntry.objects.count(), CaseUserObjectPermission.objects.count())
    for user in (world.commune_user, world.landlord_agent):
        page = page_of(client, user, filed).content.decode()
        assert 'id="shares-title"' not in page
        response = client.post(reverse("request-share", args=[filed.reference]), {"share-user": "commune-2"})
        assert response.status_code == 403
        response = client.post(reverse("request-unshare", args=[filed.reference, world.landlord_agent.pk]))
        assert response.status_code == 403
    client.force_login(world.commune_2_user)
    assert (
        client.post(reverse("request-share", args=[filed.reference]), {"share-user": "x"}).status_code == 404
    )
    assert (AuditEntry.objects.count(), CaseUserObjectPermission.objects.count()) == before


def test_a_wrong_person_is_shown_on_the_form_with_a_400(client, world, filed):
    client.force_login(world.ctc_agent)
    url = reverse("request-share", args=[filed.reference])
    response = client.post(url, {"share-user": "nobody"})
    assert response.status_code == 400
    assert "Utilisateur inconnu" in response.content.decode()
    response = client.post(url, {"share-user": ""})
    assert response.status_code == 400
    response = client.post(reverse("request-unshare", args=[filed.reference, world.waste_agent.pk]))
    assert response.status_code == 400
    assert "Cette demande n&#x27;est pas partagée avec cette personne." in response.content.decode()
    # The message names nobody (the person picker lists the directory, which is public: not an error).
    [line] = [x for x in response.content.decode().splitlines() if "pas partagée avec cette personne" in x]
    assert "waste" not in line and "Déchets" not in line
    assert not AuditEntry.objects.filter(event__in=["shared", "unshared"]).exists()


def test_once_rejected_the_agent_who_shared_sees_the_list_and_takes_it_back_without_javascript(
    client, world, filed
):
    client.force_login(world.ctc_agent)
    client.post(reverse("request-share", args=[filed.reference]), {"share-user": "landlord"})
    actions.do_share_request(filed, "commune-2", acting_user=None)  # the system
    page = page_of(client, world.ctc_agent, filed).content.decode()
    assert "accordé par ctc" in page and page.count("Retirer</button>") == 2  # may act now: both
    actions.do_transition_request(
        filed, "reject", acting_user=world.ctc_lead, fields={"turn_to": "Le bailleur"}, reason="Non"
    )
    filed.refresh_from_db()
    assert filed.case.state == "rejected"
    unshare_landlord = reverse("request-unshare", args=[filed.reference, world.landlord_agent.pk])
    unshare_commune_2 = reverse("request-unshare", args=[filed.reference, world.commune_2_user.pk])

    # ctc_lead, of the same unit, granted nothing: no section, and a 403 when posting.
    page = page_of(client, world.ctc_lead, filed).content.decode()
    assert 'id="shares-title"' not in page
    before = (AuditEntry.objects.count(), CaseUserObjectPermission.objects.count())
    assert client.post(unshare_landlord).status_code == 403

    # The agent who shared sees the list, the "Retirer" button on their share only, and no form.
    page = page_of(client, world.ctc_agent, filed).content.decode()
    assert '<h2 id="shares-title">Partager</h2>' in page
    assert "Vous ne pouvez plus partager cette demande" in page
    share_url = reverse("request-share", args=[filed.reference])
    assert f'action="{share_url}"' not in page and 'name="share-user"' not in page
    assert page.count("Retirer</button>") == 1 and unshare_landlord in page and unshare_commune_2 not in page
    assert "commune-2" in page  # listed, granted by the system
    assert client.post(unshare_commune_2).status_code == 403
    assert (AuditEntry.objects.count(), CaseUserObjectPermission.objects.count()) == before

    response = client.post(unshare_landlord)
    assert response.status_code == 302
    assert "Le partage de" in client.get(response["Location"]).content.decode()
    entry = AuditEntry.objects.get(case_id=filed.case_id, event="unshared")
    assert (entry.actor, entry.from_state) == (world.ctc_agent, "rejected")
    # Their only share taken back: the section is gone for them.
    assert 'id="shares-title"' not in page_of(client, world.ctc_agent, filed).content.decode()
    assert page_of(client, world.landlord_agent, filed).status_code == 404
