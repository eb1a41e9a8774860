"""Keep the catalogue cache honest: any write to the rows a filing reads from it bumps the ``catalogue``
counter of LayerVersion (procedures/catalogue_cache.py). This only invalidates a cache; no rule runs here."""

from django.db.models.signals import post_delete, post_save

from directory.models import LayerVersion
from engine.models import Procedure, ProcedureVersion
from procedures.catalogue_cache import NAME
from procedures.models import Category, CategoryAttribute, CategoryGroup, ServiceLevel, UrgencyCriterion

WATCHED = (
    Category,
    CategoryGroup,
    CategoryAttribute,
    UrgencyCriterion,
    ServiceLevel,
    Procedure,
    ProcedureVersion,
)


def _bump(sender, **kwargs):
    LayerVersion.bump(NAME)


def connect():
    for model in WATCHED:
        post_save.connect(_bump, sender=model, dispatch_uid=f"catalogue-save-{model.__name__}")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"catalogue-delete-{model.__name__}")
