"""What filing needs from the sector procedures, in one call: ``apply_sector(routing, lon, lat, category)``.

Inside an active sector procedure the split row (or the version's delegated manager) names the unit
before the directory's usual rules; the request records the version, opens its case on that version's
intervention procedure and gets its service-level overrides (``procedures.service_levels``)."""

from directory.models import Unit
from engine.models import ProcedureVersion, VersionStatus
from procedures.sectors import routing as sector_routing


def apply_sector(routing, lon, lat, category, at=None):
    """Complete the usual ``routing`` with the sector decision at the point (unchanged outside any)."""
    sector = sector_routing.decide(lon, lat, category.pk, at)
    routing.sector = sector
    if sector is None:
        return routing
    if sector.unit_id is not None:
        unit = Unit.objects.select_related("organisation").get(pk=sector.unit_id)
        routing.handler_unit, routing.handler_organisation = unit, unit.organisation
        routing.to_qualify = False
        routing.explanation = sector.detail
    else:
        routing.explanation = f"{sector.detail}; {routing.explanation}"
    routing.case_version_id = None
    if (
        sector.intervention_version_id
        and ProcedureVersion.objects.filter(
            pk=sector.intervention_version_id, status=VersionStatus.PUBLISHED
        ).exists()
    ):
        routing.case_version_id = sector.intervention_version_id
    return routing


def plain_text(routing):
    """The commune's explanation when a sector procedure decided, else None."""
    sector = getattr(routing, "sector", None)
    if sector is None or not sector.plain:
        return None
    return sector.plain
