"""Per-process cache of the catalogue rows a filing reads: the category by code with its group, its
attributes and its active urgency criteria; the published version new requests open on; the active
service levels.

Keyed on the ``catalogue`` counter of ``LayerVersion``, read at the start of each filing through
``directory.routing.current_counters()``: the one read of the counters that the routing index and the
sub-sector index key on too, made at most once every ROUTING_INDEX_CHECK_MS. ``procedures/signals.py``
bumps the counter on every write to a category, a category group, an attribute, an urgency criterion, a
service level, a procedure or a procedure version, in the writer's transaction: a filing in the same
process sees the change at once, one in another process within that delay. The counters are read before
the rows, so an entry is never older than its stamp.

The cached instances are shared by the filings of a process: they are read, never changed. Outside a
filing (recomputing deadlines, the web forms' choices) nothing is cached and the database is read.
"""

import threading
from contextlib import contextmanager

NAME = "catalogue"

_lock = threading.Lock()
_state = {"stamp": None, "entries": {}}
_local = threading.local()


def _stamp():
    from directory.routing import current_counters  # the counters the routing reads too: one read

    return current_counters().get(NAME, (0, ""))


@contextmanager
def filing():
    """One filing: the stamp is read once; inside the block the lookups below come from the cache kept for
    that stamp. Nested blocks reuse the outer one."""
    if getattr(_local, "entries", None) is not None:
        yield
        return
    stamp = _stamp()
    with _lock:
        if _state["stamp"] != stamp:
            _state["stamp"], _state["entries"] = stamp, {}
        _local.entries = _state["entries"]
    try:
        yield
    finally:
        _local.entries = None


def _cached(key, load):
    entries = getattr(_local, "entries", None)
    if entries is None:
        return load()
    if key in entries:
        return entries[key]
    value = load()
    with _lock:
        return entries.setdefault(key, value)


def category(code):
    """(category with its group, [attributes], {code: active urgency criterion}), or None."""
    from procedures.models import Category

    def load():
        found = Category.objects.filter(code=code).select_related("group").first()
        if found is None:
            return None
        criteria = {c.code: c for c in found.urgency_criteria.filter(is_active=True)}
        return found, list(found.attributes.all()), criteria

    return _cached(("category", code), load)


def published_version(procedure_code):
    """The latest published version of the procedure with its procedure, or None."""
    from engine.models import ProcedureVersion, VersionStatus

    return _cached(
        ("version", procedure_code),
        lambda: (
            ProcedureVersion.objects.select_related("procedure")
            .filter(status=VersionStatus.PUBLISHED, procedure__code=procedure_code)
            .order_by("-number")
            .first()
        ),
    )


def active_service_levels():
    """Every active service level (a short table), or None outside a filing (the caller queries then)."""
    from procedures.models import ServiceLevel

    if getattr(_local, "entries", None) is None:
        return None
    return _cached(("service_levels",), lambda: list(ServiceLevel.objects.filter(is_active=True)))


def clear():
    with _lock:
        _state["stamp"], _state["entries"] = None, {}
