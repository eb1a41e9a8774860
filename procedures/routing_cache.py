"""Per-process cache of the directory rows a filing reads after routing: the handling unit with its
organisation, the commune, the commune's dispatching CTC.

Keyed on the stamp of the routing index the resolver has just used (``LayerVersion.stamp()``, checked
against the database on every ``resolve``): every write to a unit, an organisation, a competence or a
perimeter bumps it (``directory/signals.py``), so an entry never outlives the rows it was read from,
in any process. The resolver itself (``directory/routing.py``) is not changed.
"""

import threading

from directory import routing
from directory.models import Organisation, Unit, UnitKind

_lock = threading.Lock()
_state = {"stamp": None, "rows": {}}


def _rows():
    """The cache for the stamp of the index the last ``resolve`` used; None when there is none."""
    index = routing._current.get("index")
    stamp = getattr(index, "stamp", None)
    if stamp is None:
        return None
    with _lock:
        if _state["stamp"] != stamp:
            _state["stamp"], _state["rows"] = stamp, {}
        return _state["rows"]


def _cached(key, load):
    rows = _rows()
    if rows is None:
        return load()
    if key not in rows:
        rows[key] = load()
    return rows[key]


def unit(pk):
    """The unit with its organisation."""
    return _cached(("unit", pk), lambda: Unit.objects.select_related("organisation").get(pk=pk))


def organisation(pk):
    return _cached(("organisation", pk), lambda: Organisation.objects.get(pk=pk))


def dispatcher_for(commune):
    """The CTC whose territory covers the commune (the request's dispatcher), with its organisation."""
    return _cached(
        ("dispatcher", commune.pk),
        lambda: (
            Unit.objects.filter(kind=UnitKind.CTC, territory=commune)
            .select_related("organisation")
            .order_by("pk")
            .first()
        ),
    )


def clear():
    with _lock:
        _state["stamp"], _state["rows"] = None, {}
