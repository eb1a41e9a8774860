"""The demo's CLECT group: the active demo procedure and its sub-sectors, with real figures from the demo's
year of requests, loaded once (load_demo twice leaves one group)."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from procedures.models import InterventionRequest
from procedures.sectors.clect_figures import group_figures
from procedures.sectors.clect_models import ClectGroup, ClectMembership


def test_the_demo_groups_the_active_procedure_s_perimeters_with_real_figures(db):
    call_command("load_demo", stdout=StringIO())
    call_command("load_demo", stdout=StringIO())
    group = ClectGroup.objects.get()
    members = {
        (m.procedure.code if m.procedure_id else m.perimeter.code) for m in ClectMembership.objects.all()
    }
    assert members == {"val-fourre-nord", "ss-val-fourre-peintres", "ss-cinq-quartiers-molieres"}
    year = timezone.localdate().year
    figures = group_figures(group, year)
    routed = InterventionRequest.objects.filter(
        sector_version__procedure__code="val-fourre-nord", created_at__year=year
    ).count()
    assert routed > 0 and figures["total"]["requests"] >= routed
    assert sum(row["requests"] for row in figures["by_actor"]) == figures["total"]["requests"]
    assert sum(row["requests"] for row in figures["by_commune"]) == figures["total"]["requests"]
