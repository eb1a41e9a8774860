"""Service-level overrides of sector procedures: stricter targets for the requests they routed."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from procedures.sectors.routing import SectorDecision, overrides_for_version


@dataclass(frozen=True)
class OverrideTargets:
    acknowledge_hours: int
    resolve_hours: int
    level: None = None

    @property
    def label(self):
        return _("service level of the sub-sector procedure")


def override_targets(request, usual):
    """The override matching the request (category, urgency) of the version that routed it, else ``usual``."""
    overrides = overrides_for_version(request.sector_version_id)
    probe = SectorDecision(request.sector_version_id, "", 0, None, overrides, None, "", None, "", "")
    found = probe.targets(request.category_id, request.urgency)
    if found is None:
        return usual
    return OverrideTargets(*found)
