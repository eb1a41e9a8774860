"""Who a user is, for the engine: the principal keys that role holders on cases are matched against.

A role holder on a case names a party as a key string:
- ``user:<id>``: one person;
- ``org:<id>``: anyone acting for that organisation; ``org:<id>#<role>``: those of them with a role;
- ``unit:<id>``: anyone in that unit or in a unit below it; ``unit:<id>#<role>``: those with a role;
- ``role:<role>``: anyone holding the directory role, whatever their organisation (e.g. the DVQ).

The engine stays ignorant of organisations: it only compares keys (an indexed string column), so
"cases where this user holds role R" is one plain join.
"""


def principal_keys(user):
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_principal_keys", None)
    if cached is not None:
        return cached
    roles = user.role_codes
    keys = {f"user:{user.pk}"}
    keys.update(f"role:{role}" for role in roles)
    if user.organisation_id:
        keys.add(f"org:{user.organisation_id}")
        keys.update(f"org:{user.organisation_id}#{role}" for role in roles)
    if user.unit_id:
        unit_ids = [user.unit_id, *(unit.pk for unit in user.unit.ancestors())]
        for unit_id in unit_ids:
            keys.add(f"unit:{unit_id}")
            keys.update(f"unit:{unit_id}#{role}" for role in roles)
    user._principal_keys = frozenset(keys)
    return user._principal_keys


def user_key(user):
    return f"user:{user.pk}"


def organisation_key(organisation, role=None):
    return f"org:{organisation.pk}" + (f"#{role}" if role else "")


def unit_key(unit, role=None):
    return f"unit:{unit.pk}" + (f"#{role}" if role else "")


def role_key(role):
    return f"role:{role}"
