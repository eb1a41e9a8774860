"""Who a user is for the engine: principal keys (from settings.ENGINE_PRINCIPAL_KEYS), roles on a case."""

from django.conf import settings
from django.utils.module_loading import import_string

_function = None


def principal_keys(user):
    """The party keys that identify ``user`` (``user:1``, ``org:2``, ``role:dvq_officer``...)."""
    global _function
    path = getattr(settings, "ENGINE_PRINCIPAL_KEYS", "directory.access.principal_keys")
    if _function is None or _function[0] != path:
        _function = (path, import_string(path))
    if user is None:
        return frozenset()
    return frozenset(_function[1](user))


def holders_by_role(case):
    """{role: [party, ...]} for the case (one query)."""
    from engine.models import RoleHolder

    holders = {}
    for role, party in RoleHolder.objects.filter(case=case).order_by("pk").values_list("role", "party"):
        holders.setdefault(role, []).append(party)
    return holders


def roles_from_holders(holders, keys):
    return {role for role, parties in holders.items() if keys.intersection(parties)}
