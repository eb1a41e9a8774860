"""actions: comments and attachments."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.access import holders_by_role, principal_keys, roles_from_holders
from engine.actions._common import _system_or
from engine.context import Effects
from engine.errors import InvalidFields, RoleNotAllowed
from engine.models import (
    Attachment,
    Comment,
)


# --- comments and attachments -------------------------------------------------------------------------
def _any_role(case, acting_user):
    if acting_user is None:
        return set()
    roles = roles_from_holders(holders_by_role(case), principal_keys(acting_user))
    if not roles:
        raise RoleNotAllowed(case.version.definition["roles"])
    return roles


def do_comment(case, *, acting_user, body, internal=False):
    """Any role holder of the case may comment; internal comments are not shown to the requester."""
    _any_role(case, acting_user)
    body = (body or "").strip()
    if not body:
        raise InvalidFields({"body": _("this field is required")})
    now = timezone.now()
    with transaction.atomic():
        comment = Comment.objects.create(
            case=case, author=_system_or(acting_user), body=body, internal=internal, created_at=now
        )
        effects = Effects()
        effects.record(
            case,
            "commented",
            actor=_system_or(acting_user),
            at=now,
            data={"comment": comment.pk, "internal": internal},
            payload={"comment": comment.pk, "internal": internal},
        )
        effects.flush()
    return comment


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


def do_attach(case, *, acting_user, file, description=""):
    _any_role(case, acting_user)
    if file is None:
        raise InvalidFields({"file": _("this field is required")})
    size = getattr(file, "size", 0) or 0
    if size > MAX_ATTACHMENT_BYTES:
        raise InvalidFields({"file": _("the file is larger than 10 MB")})
    now = timezone.now()
    name = (getattr(file, "name", "") or "file").rsplit("/", 1)[-1][:255]
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            author=_system_or(acting_user),
            name=name,
            size_bytes=size,
            description=description,
            created_at=now,
        )
        attachment.file.save(name, file, save=False)
        attachment.save()
        effects = Effects()
        effects.record(
            case,
            "attached",
            actor=_system_or(acting_user),
            at=now,
            data={"attachment": attachment.pk, "name": name, "size_bytes": size},
            payload={"attachment": attachment.pk},
        )
        effects.flush()
    return attachment
