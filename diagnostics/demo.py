"""Demo data: the default grid, and one analysed walking diagnostic in Le Val Fourré (Mantes-la-Jolie)
with about thirty findings, some already turned into requests. Fictional; idempotent; through the actions."""

import datetime
import itertools
import random

from django.core.files.base import ContentFile
from django.utils import timezone

from diagnostics.actions import (
    do_convert_findings_to_follow_up,
    do_convert_findings_to_requests,
    do_create_diagnostic,
    do_mark_findings_no_action,
    do_move_diagnostic,
    do_record_finding,
    do_record_route_track,
    load_grid_file,
    may_convert_findings_to_follow_up,
)
from diagnostics.management.commands.load_grid import DEFAULT
from diagnostics.models import Diagnostic, GridItem
from directory.models import Organisation, Perimeter, User

TITLE = "Diagnostic en marchant du Val Fourré (fictif)"
# a 1x1 PNG: the demo's "photos" stand for what a phone would send
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cf000000030101008d1bba7b0000000049454e44ae426082"
)


def load_diagnostics(now=None):
    version, _created = load_grid_file(DEFAULT, publish=True)
    if Diagnostic.objects.filter(title=TITLE).exists():
        return {"diagnostics": 0, "findings": 0}
    referent = User.objects.filter(username="demo-commune").first()
    commune = Organisation.objects.filter(code="mantes-la-jolie").first()
    qpv = Perimeter.objects.filter(layer="qpv", code="qpv-val-fourre").first()
    if referent is None or commune is None or qpv is None:
        return {"diagnostics": 0, "findings": 0}
    now = now or timezone.now()
    rng = random.Random(18)
    (min_lon, min_lat, max_lon, max_lat) = (qpv.min_lon, qpv.min_lat, qpv.max_lon, qpv.max_lat)
    route = {
        "type": "LineString",
        "coordinates": [
            [round(min_lon + (max_lon - min_lon) * f, 6), round(min_lat + (max_lat - min_lat) * g, 6)]
            for f, g in [(0.2, 0.3), (0.35, 0.45), (0.5, 0.5), (0.6, 0.62), (0.75, 0.7), (0.8, 0.5)]
        ],
    }
    participants = list(Organisation.objects.filter(code__in=["gpso", "residences-mantois"]))
    diagnostic = do_create_diagnostic(
        acting_user=referent,
        commune=commune,
        title=TITLE,
        date=(now - datetime.timedelta(days=12)).date(),
        grid_version=version,
        qpv=qpv,
        route=route,
        residents_count=6,
        participants=participants,
    )
    do_move_diagnostic(diagnostic, "start_field", acting_user=referent)
    items = list(GridItem.objects.filter(theme__version=version).select_related("theme"))
    coords = route["coordinates"]
    walked = now - datetime.timedelta(days=12)
    findings = []
    for n in range(30):
        a, b = coords[n % (len(coords) - 1)], coords[n % (len(coords) - 1) + 1]
        t = rng.random()
        lon = a[0] + (b[0] - a[0]) * t + rng.uniform(-0.0004, 0.0004)
        lat = a[1] + (b[1] - a[1]) * t + rng.uniform(-0.0004, 0.0004)
        item = items[(n * 7) % len(items)]
        finding, _created = do_record_finding(
            diagnostic,
            acting_user=referent,
            client_id=f"demo-val-fourre-{n:03d}",
            item=item,
            rating=rng.choice([0, 1, 1, 2]),
            lon=round(lon, 6),
            lat=round(lat, 6),
            comment="Constat de démonstration (fictif)",
            observed_at=walked + datetime.timedelta(minutes=4 * n),
            photos=[ContentFile(PNG, name=f"constat-{n:03d}.png")] if n % 3 == 0 else [],
        )
        findings.append(finding)
    # the route as walked, recorded by the referent's phone: the planned line, a point every few metres
    walked_points = []
    for a, b in itertools.pairwise(coords):
        for step in range(12):
            t = step / 12
            walked_points.append(
                [
                    round(a[0] + (b[0] - a[0]) * t + rng.uniform(-0.00003, 0.00003), 6),
                    round(a[1] + (b[1] - a[1]) * t + rng.uniform(-0.00003, 0.00003), 6),
                ]
            )
    walked_points.append(coords[-1])
    do_record_route_track(
        diagnostic,
        acting_user=referent,
        client_id="demo-val-fourre-route",
        points=walked_points,
        started_at=walked - datetime.timedelta(minutes=5),
        ended_at=walked + datetime.timedelta(minutes=125),
    )
    do_move_diagnostic(diagnostic, "start_analysis", acting_user=referent)
    mapped = [f for f in findings if f.item.category_id][:8]
    converted = len(do_convert_findings_to_requests(diagnostic, mapped, acting_user=referent))
    unmapped = [f for f in findings if not f.item.category_id][:3]
    if unmapped:
        do_mark_findings_no_action(
            diagnostic,
            unmapped,
            "Relève de la gestion du bailleur, vu en comité (fictif).",
            acting_user=referent,
        )
    _demo_follow_up(diagnostic, now)
    return {"diagnostics": 1, "findings": len(findings), "converted": converted}


def _demo_follow_up(diagnostic, now):
    """Two findings become one follow-up action of the landlord, two others one recommendation (when the
    steering module has registered its converters and its demo DVQ officer exists)."""
    dvq = User.objects.filter(username="demo-dvq").first()
    landlord = Organisation.objects.filter(code="residences-mantois").first()
    left = list(diagnostic.findings.filter(outcome="").order_by("pk"))
    if dvq is None or landlord is None or len(left) < 4:
        return
    if may_convert_findings_to_follow_up(dvq, diagnostic, "action"):
        do_convert_findings_to_follow_up(
            diagnostic,
            left[:2],
            "action",
            acting_user=dvq,
            title="Reprendre les abords des halls vus au diagnostic (fictif)",
            owner_organisation=landlord.pk,
            due_date=(now + datetime.timedelta(days=45)).date(),
        )
    if may_convert_findings_to_follow_up(dvq, diagnostic, "recommendation"):
        do_convert_findings_to_follow_up(
            diagnostic,
            left[2:4],
            "recommendation",
            acting_user=dvq,
            recommendation="Prévoir dès la conception des locaux encombrants accessibles (fictif).",
        )
