"""Keep the routing index honest: any write to the territory or the routing rules bumps LayerVersion.

This only invalidates a cache (the routing index is rebuilt lazily on its next use); no business rule
runs here. Delegated-management shares are recomputed explicitly by directory.delegation, called by the
import command, the admin and the demo loader.
"""

import threading
from contextlib import contextmanager

from django.db.models.signals import m2m_changed, post_delete, post_save

from directory.models import (
    Competence,
    LayerVersion,
    Organisation,
    Parcel,
    ParcelOwnership,
    Perimeter,
    SplitRule,
    Unit,
)

_state = threading.local()
WATCHED = (Perimeter, Parcel, ParcelOwnership, Competence, SplitRule, Unit, Organisation)


SPATIAL = (Perimeter, Parcel, ParcelOwnership)


@contextmanager
def one_bump():
    """Suspend per-row bumps inside the block and bump each touched counter once at the end (bulk writes)."""
    depth = getattr(_state, "depth", 0)
    if depth == 0:
        _state.dirty = set()
    _state.depth = depth + 1
    try:
        yield
    finally:
        _state.depth = depth
    if depth == 0 and _state.dirty:
        names, _state.dirty = sorted(_state.dirty), set()
        LayerVersion.bump(*names)


def _bump(sender, **kwargs):
    name = LayerVersion.TERRITORY if sender in SPATIAL else LayerVersion.RULES
    if getattr(_state, "depth", 0):
        _state.dirty.add(name)
    else:
        LayerVersion.bump(name)


def _bump_on_m2m(sender, action, pk_set=None, **kwargs):
    if (action in ("post_add", "post_remove") and pk_set) or action == "post_clear":
        _bump(sender)  # through tables of units and competences: rules


def connect():
    for model in WATCHED:
        post_save.connect(_bump, sender=model, dispatch_uid=f"routing-version-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"routing-version-delete-{model.__name__}")
    for through in (Unit.territory.through, Competence.communes.through):
        m2m_changed.connect(
            _bump_on_m2m, sender=through, dispatch_uid=f"routing-version-m2m-{through.__name__}"
        )
