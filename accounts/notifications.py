"""E-mails of access, sent from the outbox after commit (consumer ``accounts.notifications``).

Invitations (also those an approved access request sends), access requests to the organisation's
referents, refusals to the person who asked. Sent in the product's language (French); at least once.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.models import AccessRequest, Invitation
from directory.models import User
from directory.roles import Role


def _url(name, *args):
    return settings.SITE_BASE_URL + reverse(name, args=args)


def _invitation_mail(invitation):
    from accounts.actions import invitation_token

    roles = ", ".join(str(Role(role).label) for role in invitation.roles)
    body = _(
        "You are invited to use the GUP platform for %(organisation)s, with these roles: %(roles)s.\n\n"
        "Open this link to create your account (set a password or use single sign-on); it works once, "
        "until %(expires)s:\n%(url)s\n"
    ) % {
        "organisation": invitation.organisation.name,
        "roles": roles,
        "expires": formats.date_format(timezone.localtime(invitation.expires_at), "DATETIME_FORMAT"),
        "url": _url("invitation-accept", invitation_token(invitation)),
    }
    send_mail(_("[GUP] Your invitation"), body, None, [invitation.email])


def _access_requested_mail(access_request):
    referents = User.objects.filter(
        organisation_id=access_request.organisation_id,
        role_assignments__role=Role.REFERENT,
        is_active=True,
    ).exclude(email="")
    recipients = sorted(set(referents.values_list("email", flat=True)))
    if not recipients:
        return
    body = _(
        "%(name)s (%(job)s) asks for access to the GUP platform for %(organisation)s.\n\n"
        "Approve with roles or refuse with a reason on your organisation's people page:\n%(url)s\n"
    ) % {
        "name": f"{access_request.first_name} {access_request.last_name}",
        "job": access_request.job_title,
        "organisation": access_request.organisation.name,
        "url": _url("people"),
    }
    send_mail(_("[GUP] Access request to answer"), body, None, recipients)


def _access_refused_mail(access_request):
    body = _(
        "Your request for access to the GUP platform for %(organisation)s was refused, for this "
        "reason:\n\n%(reason)s\n"
    ) % {"organisation": access_request.organisation.name, "reason": access_request.refusal_reason}
    send_mail(_("[GUP] Your access request"), body, None, [access_request.email])


def consume(event):
    if not event.kind.startswith("accounts."):
        return
    payload = event.payload or {}
    with translation.override(settings.LANGUAGE_CODE):
        if event.kind == "accounts.invitation_created":
            invitation = (
                Invitation.objects.select_related("organisation")
                .filter(pk=payload.get("invitation"), accepted_at=None)
                .first()
            )
            if invitation is not None:
                _invitation_mail(invitation)
        elif event.kind in ("accounts.access_requested", "accounts.access_refused"):
            access_request = (
                AccessRequest.objects.select_related("organisation")
                .filter(pk=payload.get("access_request"))
                .first()
            )
            if access_request is None:
                return
            if event.kind == "accounts.access_requested":
                _access_requested_mail(access_request)
            else:
                _access_refused_mail(access_request)
