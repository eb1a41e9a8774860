"""The write path of access: invitations, access requests, roles, deactivation.

Each ``do_<verb>_<noun>(..., *, acting_user)`` runs in one transaction: the permission check (its
``may_<verb>_<noun>`` beside it), the write, a ``DirectoryAuditEntry`` per change (every role given or
taken is its own entry) and the outbox events whose consumer (accounts/notifications.py) sends the
e-mails after commit. ``acting_user=None`` is someone not signed in (the holder of an invitation link,
a person asking for access). Bad input raises ``InvalidFields`` naming the field: nothing is written.
"""

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts import conf
from accounts.models import AccessRequest, AccessRequestStatus, Invitation
from accounts.rules import grantable_roles, is_administrator, manages_organisation
from directory.models import DirectoryAuditEntry, Organisation, RoleAssignment, User
from directory.roles import Role
from engine import outbox
from engine.errors import InvalidFields, RoleNotAllowed

TOKEN_SALT = "accounts.invitation"


def _audit(event, target, acting_user, **data):
    actor = acting_user if acting_user is not None and acting_user.pk else None
    return DirectoryAuditEntry.objects.create(actor=actor, event=event, target=target[:200], data=data)


def _check(allowed, message):
    if not allowed:
        raise RoleNotAllowed([], message)


def _clean_text(errors, field, value, *, required=True, max_length=200):
    value = (value or "").strip()
    if required and not value:
        errors[field] = _("This field is required.")
    elif len(value) > max_length:
        errors[field] = _("At most %(n)d characters.") % {"n": max_length}
    return value


def _clean_email(errors, value, field="email"):
    value = (value or "").strip()
    try:
        validate_email(value)
    except ValidationError:
        errors[field] = _("Enter a valid e-mail address.")
        return value
    local, _sep, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _clean_roles(errors, roles, acting_user, organisation_id, field="roles"):
    roles = sorted({str(role) for role in roles or ()})
    unknown = [role for role in roles if role not in Role.values]
    if not roles:
        errors[field] = _("Choose at least one role.")
    elif unknown:
        errors[field] = _("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}
    return roles


def _check_roles_grantable(roles, acting_user, organisation_id):
    beyond = sorted(set(roles) - grantable_roles(acting_user, organisation_id))
    if beyond:
        labels = ", ".join(str(Role(role).label) for role in beyond)
        raise RoleNotAllowed(
            [], _("You may not give roles you do not hold yourself: %(roles)s.") % {"roles": labels}
        )


def _email_taken(email):
    return User.objects.filter(email__iexact=email).exists()


# --- invitations -----------------------------------------------------------------------------------


def invitation_token(invitation):
    """The secret part of the invitation link."""
    return signing.Signer(salt=TOKEN_SALT).sign_object([invitation.pk, invitation.secret])


def may_invite_person(acting_user, organisation, roles=()):
    return manages_organisation(acting_user, organisation.pk) and set(roles) <= grantable_roles(
        acting_user, organisation.pk
    )


def _create_invitation(organisation, email, roles, *, acting_user, unit=None, **names):
    now = timezone.now()
    invitation = Invitation.objects.create(
        organisation=organisation,
        unit=unit,
        email=email,
        roles=list(roles),
        invited_by=acting_user,
        created_at=now,
        expires_at=now + conf.invitation_validity(),
        **names,
    )
    outbox.emit("accounts.invitation_created", case_id=None, payload={"invitation": invitation.pk})
    return invitation


def do_invite_person(
    organisation, email, roles, *, acting_user, first_name="", last_name="", job_title="", unit=None
):
    """Invite someone to join ``organisation`` with ``roles`` (those the inviter may give); the link is
    e-mailed after commit. Returns the Invitation."""
    _check(
        manages_organisation(acting_user, organisation.pk),
        _("You may only invite people into your own organisation."),
    )
    errors = {}
    email = _clean_email(errors, email)
    roles = _clean_roles(errors, roles, acting_user, organisation.pk)
    names = {
        "first_name": _clean_text(errors, "first_name", first_name, required=False, max_length=150),
        "last_name": _clean_text(errors, "last_name", last_name, required=False, max_length=150),
        "job_title": _clean_text(errors, "job_title", job_title, required=False),
    }
    if unit is not None and unit.organisation_id != organisation.pk:
        errors["unit"] = _("The unit must belong to the organisation.")
    if "email" not in errors and _email_taken(email):
        errors["email"] = _("An account already exists with this e-mail address.")
    if errors:
        raise InvalidFields(errors)
    _check_roles_grantable(roles, acting_user, organisation.pk)
    with transaction.atomic():
        invitation = _create_invitation(
            organisation, email, roles, acting_user=acting_user, unit=unit, **names
        )
        _audit(
            "invitation_created",
            f"invitation:{invitation.pk}",
            acting_user,
            organisation=organisation.code,
            roles=roles,
            expires_at=invitation.expires_at.isoformat(),
        )
    return invitation


def invitation_for_token(token, *, lock=False):
    """The pending invitation of a link, or InvalidFields saying why the link does not work."""
    try:
        pk, secret = signing.Signer(salt=TOKEN_SALT).unsign_object(token or "")
    except (signing.BadSignature, TypeError, ValueError):
        raise InvalidFields({"token": _("This invitation link is not valid.")}) from None
    # locked alone: PostgreSQL cannot lock the nullable side of the unit's outer join
    queryset = (
        Invitation.objects.select_for_update() if lock else Invitation.objects.select_related("organisation")
    )
    invitation = queryset.filter(pk=pk).first()
    if invitation is None or not constant_time_compare(invitation.secret, str(secret)):
        raise InvalidFields({"token": _("This invitation link is not valid.")})
    if invitation.accepted_at is not None:
        raise InvalidFields({"token": _("This invitation link has already been used.")})
    if timezone.now() >= invitation.expires_at:
        raise InvalidFields(
            {"token": _("This invitation link has expired: ask your referent for a new one.")}
        )
    return invitation


def _create_account(invitation, *, username, first_name, last_name, password=None):
    user = User(
        username=username,
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
        organisation=invitation.organisation,
        unit=invitation.unit,
        job_title=invitation.job_title,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    now = timezone.now()
    if (
        Invitation.objects.filter(pk=invitation.pk, accepted_at=None).update(
            accepted_at=now, accepted_user=user
        )
        != 1
    ):
        raise InvalidFields({"token": _("This invitation link has already been used.")})
    RoleAssignment.objects.bulk_create([RoleAssignment(user=user, role=role) for role in invitation.roles])
    target = f"user:{user.pk}"
    for role in invitation.roles:
        _audit("role_assigned", target, invitation.invited_by, role=role, invitation=invitation.pk)
    _audit("invitation_accepted", target, user, invitation=invitation.pk, roles=list(invitation.roles))
    return user


def do_accept_invitation(token, *, username, password, first_name="", last_name="", acting_user=None):
    """Create the invited person's account with a password (Django's password validators apply).
    Returns the new user."""
    errors = {}
    username = _clean_text(errors, "username", username, max_length=150)
    first_name = _clean_text(errors, "first_name", first_name, max_length=150)
    last_name = _clean_text(errors, "last_name", last_name, max_length=150)
    if "username" not in errors:
        try:
            User.username_validator(username)
        except ValidationError as exc:
            errors["username"] = " ".join(exc.messages)
        else:
            if User.objects.filter(username__iexact=username).exists():
                errors["username"] = _("This username is already taken.")
    with transaction.atomic():
        invitation = invitation_for_token(token, lock=True)
        probe = User(username=username, email=invitation.email, first_name=first_name, last_name=last_name)
        try:
            validate_password(password or "", user=probe)
        except ValidationError as exc:
            errors["password"] = " ".join(exc.messages)
        if _email_taken(invitation.email):
            errors["token"] = _("An account already exists with this e-mail address.")
        if errors:
            raise InvalidFields(errors)
        return _create_account(
            invitation, username=username, first_name=first_name, last_name=last_name, password=password
        )


def pending_invitation_for(email):
    """The newest pending invitation for ``email`` (the one single sign-on would accept), or None."""
    return (
        Invitation.objects.filter(email__iexact=email, accepted_at=None, expires_at__gt=timezone.now())
        .select_related("organisation")
        .order_by("-created_at", "-pk")
        .first()
    )


def do_accept_invitation_by_sso(email, claims, *, acting_user=None):
    """Single sign-on of someone with no account yet: their pending invitation (the newest one for that
    e-mail) becomes an account without a password. Returns the user, or None when nobody invited them."""
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(email__iexact=email, accepted_at=None, expires_at__gt=timezone.now())
            .order_by("-created_at", "-pk")
            .first()
        )
        if invitation is None or _email_taken(email):
            return None
        base = (email.split("@")[0] or "user")[:100]
        username, n = base, 1
        while User.objects.filter(username__iexact=username).exists():
            n += 1
            username = f"{base}-{n}"
        return _create_account(
            invitation,
            username=username,
            first_name=str(claims.get("given_name") or invitation.first_name)[:150],
            last_name=str(claims.get("usual_name") or claims.get("family_name") or invitation.last_name)[
                :150
            ],
        )


# --- access requests -------------------------------------------------------------------------------


def do_request_access(*, first_name, last_name, email, organisation_id, job_title, reason, acting_user=None):
    """Someone asks for an account from the login page; the organisation's referents are told."""
    errors = {}
    values = {
        "first_name": _clean_text(errors, "first_name", first_name, max_length=150),
        "last_name": _clean_text(errors, "last_name", last_name, max_length=150),
        "job_title": _clean_text(errors, "job_title", job_title),
        "reason": _clean_text(errors, "reason", reason, max_length=2000),
    }
    values["email"] = _clean_email(errors, email)
    organisation = None
    if str(organisation_id or "").isdigit():
        organisation = Organisation.objects.filter(pk=int(organisation_id)).first()
    if organisation is None:
        errors["organisation"] = _("Choose your organisation from the list.")
    if (
        "email" not in errors
        and AccessRequest.objects.filter(
            email__iexact=values["email"], status=AccessRequestStatus.PENDING
        ).exists()
    ):
        errors["email"] = _("A request for this e-mail address is already waiting for an answer.")
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        access_request = AccessRequest.objects.create(organisation=organisation, **values)
        _audit(
            "access_requested", f"access_request:{access_request.pk}", None, organisation=organisation.code
        )
        outbox.emit("accounts.access_requested", case_id=None, payload={"access_request": access_request.pk})
    return access_request


def may_decide_access_request(acting_user, access_request):
    return manages_organisation(acting_user, access_request.organisation_id)


def _claim_pending(access_request, **changes):
    changed = AccessRequest.objects.filter(pk=access_request.pk, status=AccessRequestStatus.PENDING).update(
        **changes
    )
    if changed != 1:
        raise InvalidFields({"status": _("This request has already been answered.")})
    for name, value in changes.items():
        setattr(access_request, name, value)


def do_approve_access_request(access_request, roles, *, acting_user):
    """Approve with roles: the person is sent an invitation (set a password or use single sign-on)."""
    _check(
        may_decide_access_request(acting_user, access_request),
        _("Only the organisation's referents may answer this request."),
    )
    errors = {}
    roles = _clean_roles(errors, roles, acting_user, access_request.organisation_id)
    if _email_taken(access_request.email):
        errors["email"] = _("An account already exists with this e-mail address.")
    if errors:
        raise InvalidFields(errors)
    _check_roles_grantable(roles, acting_user, access_request.organisation_id)
    with transaction.atomic():
        invitation = _create_invitation(
            access_request.organisation,
            access_request.email,
            roles,
            acting_user=acting_user,
            first_name=access_request.first_name,
            last_name=access_request.last_name,
            job_title=access_request.job_title,
        )
        _claim_pending(
            access_request,
            status=AccessRequestStatus.APPROVED,
            decided_at=timezone.now(),
            decided_by=acting_user,
            invitation=invitation,
        )
        _audit(
            "access_request_approved",
            f"access_request:{access_request.pk}",
            acting_user,
            roles=roles,
            invitation=invitation.pk,
        )
    return invitation


def do_refuse_access_request(access_request, reason, *, acting_user):
    """Refuse with a reason, which the person is sent by e-mail."""
    _check(
        may_decide_access_request(acting_user, access_request),
        _("Only the organisation's referents may answer this request."),
    )
    errors = {}
    reason = _clean_text(errors, "refusal_reason", reason, max_length=2000)
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        _claim_pending(
            access_request,
            status=AccessRequestStatus.REFUSED,
            decided_at=timezone.now(),
            decided_by=acting_user,
            refusal_reason=reason,
        )
        _audit("access_request_refused", f"access_request:{access_request.pk}", acting_user)
        outbox.emit("accounts.access_refused", case_id=None, payload={"access_request": access_request.pk})
    return access_request


# --- people of an organisation ---------------------------------------------------------------------


def may_manage_person(acting_user, person):
    if acting_user is None or person.pk == acting_user.pk:
        return False
    if (person.is_superuser or person.has_role(Role.ADMINISTRATOR)) and not is_administrator(acting_user):
        return False
    return manages_organisation(acting_user, person.organisation_id)


def _set_active(person, active, acting_user, reason=""):
    _check(
        may_manage_person(acting_user, person),
        _("You may only manage the accounts of your own organisation's people, not your own."),
    )
    with transaction.atomic():
        person = User.objects.select_for_update().get(pk=person.pk)
        if person.is_active == active:
            return person
        person.is_active = active
        person.save(update_fields=["is_active"])
        _audit(
            "person_reactivated" if active else "person_deactivated",
            f"user:{person.pk}",
            acting_user,
            old=not active,
            new=active,
            reason=reason[:500],
        )
    return person


def do_deactivate_person(person, *, acting_user, reason=""):
    """Deactivate an account (never deleted: the history keeps the name). A deactivated account can no
    longer sign in, its sessions stop working and its API tokens are refused."""
    return _set_active(person, False, acting_user, reason)


def do_reactivate_person(person, *, acting_user):
    return _set_active(person, True, acting_user)


def do_change_person_roles(person, roles, *, acting_user):
    """Give and take roles so that ``person`` holds exactly ``roles``; the acting referent may only give
    or take the roles they hold themselves. One audit entry per role given or taken."""
    _check(
        may_manage_person(acting_user, person),
        _("You may only manage the accounts of your own organisation's people, not your own."),
    )
    errors = {}
    roles = set(_clean_roles(errors, roles, acting_user, person.organisation_id))
    if errors:
        raise InvalidFields(errors)
    with transaction.atomic():
        current = set(
            RoleAssignment.objects.select_for_update().filter(user=person).values_list("role", flat=True)
        )
        added, removed = roles - current, current - roles
        _check_roles_grantable(added | removed, acting_user, person.organisation_id)
        RoleAssignment.objects.bulk_create([RoleAssignment(user=person, role=r) for r in sorted(added)])
        RoleAssignment.objects.filter(user=person, role__in=removed).delete()
        target = f"user:{person.pk}"
        for role in sorted(added):
            _audit("role_assigned", target, acting_user, role=role)
        for role in sorted(removed):
            _audit("role_removed", target, acting_user, role=role)
        person.__dict__.pop("_role_codes", None)
    return sorted(added), sorted(removed)
