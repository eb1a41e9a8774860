"""Demo data of access: one access request waiting for the referent of Mantes-la-Jolie (demo-commune)
and one invitation not yet accepted, both fictional and made through the actions (idempotent)."""

from accounts import actions
from accounts.models import AccessRequest, Invitation
from directory.models import Organisation, User
from directory.roles import Role

REQUEST_EMAIL = "samir.benali.fictif@example.org"
INVITATION_EMAIL = "lea.martin.fictif@example.org"


def load_access_demo():
    organisation = Organisation.objects.filter(code="mantes-la-jolie").first()
    referent = User.objects.filter(username="demo-commune").first()
    if organisation is None or referent is None:
        return {"access_requests": 0, "invitations": 0}
    if not AccessRequest.objects.filter(email=REQUEST_EMAIL).exists():
        actions.do_request_access(
            first_name="Samir",
            last_name="Benali (fictif)",
            email=REQUEST_EMAIL,
            organisation_id=str(organisation.pk),
            job_title="Gardien d'immeuble (fictif)",
            reason="Signaler les dépôts sauvages au pied de ma résidence (fictif).",
        )
    if not Invitation.objects.filter(email=INVITATION_EMAIL).exists():
        actions.do_invite_person(
            organisation,
            INVITATION_EMAIL,
            [Role.REQUESTER],
            acting_user=referent,
            first_name="Léa",
            last_name="Martin (fictif)",
            job_title="Chargée de proximité (fictif)",
        )
    return {"access_requests": 1, "invitations": 1}
