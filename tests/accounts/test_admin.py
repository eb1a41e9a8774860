from django.urls import reverse

from accounts import actions
from directory.roles import Role


def test_the_admin_lists_invitations_and_requests_read_only(people, client):
    actions.do_invite_person(people.commune, "x@mantes.test", [Role.REQUESTER], acting_user=people.referent)
    people.admin.is_superuser = True
    people.admin.save()
    client.force_login(people.admin)
    for name in ("accounts_invitation", "accounts_accessrequest", "accounts_retentionrecord"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:{name}_add")).status_code == 403
    assert "x@mantes.test" in client.get(reverse("admin:accounts_invitation_changelist")).content.decode()
    log = client.get(reverse("admin:directory_directoryauditentry_changelist")).content.decode()
    assert "invitation_created" in log


def test_an_administrator_exports_and_anonymises_a_person_from_the_users_list(people, client):
    import json

    from directory.models import DirectoryAuditEntry, User

    people.admin.is_superuser = True
    people.admin.save()
    client.force_login(people.admin)
    url = reverse("admin:directory_user_changelist")
    response = client.post(url, {"action": "export_personal_data", "_selected_action": [people.requester.pk]})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["account"]["email"] == "req@mantes.test"

    selected = {"action": "anonymise_people", "_selected_action": [people.requester.pk]}
    confirm = client.post(url, selected)
    assert confirm.status_code == 200 and "Oui, anonymiser" in confirm.content.decode()
    assert User.objects.get(pk=people.requester.pk).username == "requester"
    done = client.post(url, {**selected, "confirm": "yes"})
    assert done.status_code == 302
    person = User.objects.get(pk=people.requester.pk)
    assert person.username == f"anonyme-{person.pk}" and not person.is_active and person.email == ""
    assert DirectoryAuditEntry.objects.filter(event="person_anonymised", actor=people.admin).count() == 1
