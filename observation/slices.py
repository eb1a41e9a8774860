"""Slices the observation adds through the extension point (observation.figures.register_dimension),
registered when the app is ready.

- ``sector``: the sub-sector procedure (procedures/sectors) whose version routed the request; the
  requests no sub-sector procedure routed are the empty key. The aggregates keep the version that
  routed each request (``AggregateCell.sector_version``), so the slice is read from them too.
"""

from django.db.models import F
from django.utils.translation import gettext_lazy as _


def sector_expressions(prefix):
    return {
        "key": F(f"{prefix}sector_version__procedure_id"),
        "name": F(f"{prefix}sector_version__procedure__title"),
    }


def register():
    from observation.figures import register_dimension

    register_dimension(
        "sector", _("Sub-sector procedure"), sector_expressions, lambda: sector_expressions("")
    )
