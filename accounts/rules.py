"""Who may give access to whom: the rules the actions and the pages share (no writes here)."""

from directory.roles import Role


def is_administrator(user):
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or user.has_role(Role.ADMINISTRATOR))
    )


def is_referent_of(user, organisation_id):
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and organisation_id is not None
        and user.organisation_id == organisation_id
        and user.has_role(Role.REFERENT)
    )


def manages_organisation(user, organisation_id):
    """An administrator manages every organisation's people; a referent, their own organisation's."""
    return is_administrator(user) or is_referent_of(user, organisation_id)


def grantable_roles(user, organisation_id):
    """The roles ``user`` may give in that organisation: any for an administrator; for a referent of it,
    only the roles they hold themselves (never more than their own)."""
    if is_administrator(user):
        return frozenset(Role.values)
    if is_referent_of(user, organisation_id):
        return frozenset(user.role_codes)
    return frozenset()
