"""actions: versions."""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition

from engine.actions._common import _system_or
from engine.errors import ConcurrentChange, RoleNotAllowed
from engine.models import (
    Procedure,
    ProcedureVersion,
    VersionEvent,
    VersionStatus,
)


# --- versions ---------------------------------------------------------------------------------------
def do_store_version(text, *, acting_user, publish=False):
    """Validate YAML text and store it as a new draft (or published) version; DefinitionInvalid otherwise."""
    from engine.definitions import parse_definition
    from engine.errors import DefinitionInvalid

    if not _may_manage_some(acting_user):  # refused before the text is read: 403, never 400
        _check_may_manage(None, acting_user)
    definition = parse_definition(text)
    code, number = definition["procedure"], definition["version"]
    _check_may_manage(Procedure.objects.filter(code=code).first(), acting_user)
    with transaction.atomic():
        procedure, created = Procedure.objects.get_or_create(
            code=code, defaults={"title": definition["title"].get("fr") or code}
        )
        if not created:
            procedure.title = definition["title"].get("fr") or procedure.title
            procedure.save(update_fields=["title"])
        if ProcedureVersion.objects.filter(procedure=procedure, number=number).exists():
            raise DefinitionInvalid(
                [
                    _("version: version %(number)s of '%(code)s' already exists (give a new version number)")
                    % {"number": number, "code": code}
                ]
            )
        version = ProcedureVersion.objects.create(
            procedure=procedure, number=number, source=text, definition=definition
        )
        _version_event(version, "stored", "", acting_user)
        if publish:
            version.publish()
            version.save()
            _version_event(version, "published", VersionStatus.DRAFT, acting_user)
    return version


def may_manage_procedure(procedure, user):
    """Whether ``user`` may store, publish and retire versions of ``procedure`` (None: a procedure not
    stored yet): the system (None), a user with the model permission ``engine.change_procedure``, or
    with django-guardian's object permission on that procedure (its own administrators). The one rule
    of the actions, the API and the admin."""
    if user is None:
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.has_perm("engine.change_procedure"):
        return True
    return procedure is not None and user.has_perm("engine.change_procedure", procedure)


def _may_manage_some(user):
    """Whether ``user`` may manage at least one procedure (or a new one)."""
    from guardian.shortcuts import get_objects_for_user

    if may_manage_procedure(None, user):
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return get_objects_for_user(user, "engine.change_procedure", klass=Procedure).exists()


def _check_may_manage(procedure, acting_user):
    """RoleNotAllowed unless ``acting_user`` may manage the procedure (see may_manage_procedure)."""
    if may_manage_procedure(procedure, acting_user):
        return
    raise RoleNotAllowed(
        ["administrator"],
        _("Only administrators of this procedure may store, publish or retire its versions."),
    )


def _version_event(version, event, from_status, acting_user):
    VersionEvent.objects.create(
        version=version,
        actor=_system_or(acting_user),
        event=event,
        from_status=from_status,
        to_status=version.status,
    )


def _change_version_status(version, change, event, acting_user):
    _check_may_manage(version.procedure, acting_user)
    from_status = version.status
    try:
        with transaction.atomic():
            change(version)
            version.save()
            _version_event(version, event, from_status, acting_user)
    except ConcurrentTransition:
        raise ConcurrentChange(_("This version was changed meanwhile; reload it.")) from None
    return version


def do_publish_version(version, *, acting_user):
    return _change_version_status(version, lambda v: v.publish(), "published", acting_user)


def do_retire_version(version, *, acting_user):
    return _change_version_status(version, lambda v: v.retire(), "retired", acting_user)
