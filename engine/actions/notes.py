"""actions: comments and attachments."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from engine.access import holders_by_role, principal_keys, roles_from_holders
from engine.actions._common import _system_or
from engine.attachments import check_file
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


def may_attach(case, user):
    """Whether ``user`` may attach a file to the case: any of its role holders (and the system)."""
    if user is None:
        return True
    return bool(roles_from_holders(holders_by_role(case), principal_keys(user)))


def check_may_attach(case, acting_user):
    """Raise RoleNotAllowed unless ``acting_user`` may attach a file to the case."""
    _any_role(case, acting_user)


def check_attachment(file):
    """The upload checked by ``settings.ENGINE_ATTACHMENT_CHECK`` (engine.attachments): its name, the
    type recognised from its content and its size; InvalidFields({"file": ...}) saying why not."""
    if file is None:
        raise InvalidFields({"file": _("this field is required")})
    try:
        return check_file(file)
    except ValidationError as exc:
        raise InvalidFields({"file": " ".join(exc.messages)}) from None


def do_attach(case, *, acting_user, file, description=""):
    """Any role holder may attach a file that passes the configured check (type from its content)."""
    check_may_attach(case, acting_user)
    checked = check_attachment(file)
    now = timezone.now()
    name = checked.name
    with transaction.atomic():
        attachment = Attachment(
            case=case,
            author=_system_or(acting_user),
            name=name,
            size_bytes=checked.size,
            content_type=checked.content_type,
            description=(description or "").strip()[:500],
            created_at=now,
        )
        file.seek(0)
        attachment.file.save(name, file, save=False)
        attachment.save()
        effects = Effects()
        effects.record(
            case,
            "attached",
            actor=_system_or(acting_user),
            at=now,
            data={"attachment": attachment.pk, "name": name, "size_bytes": checked.size},
            payload={"attachment": attachment.pk},
        )
        effects.flush()
    return attachment


def record_case_event(case, event, *, acting_user, data=None):
    """One audit entry and its outbox event ``case.<event>`` for a fact a domain action recorded about the
    case without changing its state (e.g. the time spent on it). The caller has checked its permission;
    runs in the caller's transaction."""
    data = dict(data or {})
    effects = Effects()
    effects.record(case, event, actor=acting_user, at=timezone.now(), data=data, payload=data)
    effects.flush()
