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
