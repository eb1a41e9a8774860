"""Demo sub-sector procedures (fictional, through the actions): one active in Le Val Fourré since about
13 months, with a régie and zones, approved by its partners; one in Les Mureaux waiting for a partner.
Called by load_demo before the demo requests, so that those filed inside the first one follow it; then
one CLECT group with the first one's perimeter (load_clect_groups)."""

import datetime

from django.utils import timezone
from shapely.geometry import box

from directory import geo
from directory.models import Organisation, Perimeter, RoleAssignment, Unit, User
from directory.roles import Role
from engine.models import ProcedureVersion, VersionStatus
from procedures.demo_requests import demo_clock
from procedures.models import Category, CategoryGroup
from procedures.sectors import actions, approvals
from procedures.sectors.models import SectorApproval, SectorProcedure

ACTIVE_CODE = "val-fourre-nord"
PENDING_CODE = "mureaux-molieres"


def _fictional(username, organisation, unit, roles, first_name, last_name):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username, first_name=first_name, last_name=last_name, email=f"{username}@example.org"
        )
        user.set_unusable_password()  # acts in the demo only; nobody logs in as them
        user.organisation, user.unit = organisation, unit
        user.save()
        for role in roles:
            RoleAssignment.objects.get_or_create(user=user, role=role)
    return user


def load_sector_procedures():
    """Idempotent: procedures already there are left as they are. Returns how many were created."""
    if SectorProcedure.objects.filter(code__in=[ACTIVE_CODE, PENDING_CODE]).count() == 2:
        return 0
    org = {o.code: o for o in Organisation.objects.all()}
    units = {u.code: u for u in Unit.objects.all()}
    users = {u.username: u for u in User.objects.filter(username__startswith="demo-")}
    admin = users["demo-admin"]
    regie_unit = units["regie-quartier-val-agence"]
    _fictional(
        "demo-agent-regie", org["regie-quartier-val"], regie_unit, [Role.AGENT], "Fatou", "Sy (fictif)"
    )
    habitat = _fictional(
        "demo-referent-habitat",
        org["habitat-seine-aval"],
        units["habitat-seine-aval-agence"],
        [Role.REFERENT],
        "Marc",
        "Dupuis (fictif)",
    )
    variant = (
        ProcedureVersion.objects.filter(
            procedure__code="intervention-request-caretaker-check", status=VersionStatus.PUBLISHED
        )
        .order_by("-number")
        .first()
    )
    # The active demo procedure follows the usual intervention request (the demo's history of requests,
    # procedures/demo_requests.py, walks its steps); the one in approval names the caretaker-check variant.
    usual = (
        ProcedureVersion.objects.filter(
            procedure__code="intervention-request", status=VersionStatus.PUBLISHED
        )
        .order_by("-number")
        .first()
    )
    categories = {c.code: c for c in Category.objects.all()}
    created = 0
    today = timezone.localdate()
    started = today - datetime.timedelta(days=400)
    moment = timezone.make_aware(datetime.datetime(started.year, started.month, started.day, 10, 0))
    if not SectorProcedure.objects.filter(code=ACTIVE_CODE).exists():
        with demo_clock(moment) as clock:
            qpv = Perimeter.objects.get(layer="qpv", code="qpv-val-fourre")
            shape = qpv.shape()
            cx, cy = shape.centroid.x, shape.centroid.y
            version = actions.do_create_sector_procedure(
                acting_user=admin,
                code=ACTIVE_CODE,
                title="Val Fourré – gestion partagée des espaces extérieurs (fictif)",
                description=(
                    "Expérimentation : qui fait quoi, où, entre le bailleur, la commune et la communauté "
                    "urbaine, avec la régie de quartier en moyens mutualisés (fictif)."
                ),
                goals="Des délais plus courts sur les tags et la propreté ; le temps de la régie mesuré.",
                starts_on=started,
                evaluation_month=started.month,
                partners=[
                    (org["residences-mantois"], users["demo-landlord"], "Bailleur"),
                    (org["mantes-la-jolie"], users["demo-commune"], "Commune"),
                    (admin.organisation, users["demo-ctc-lead"], "CTC du Mantois"),
                ],
                intervention_version=usual,
            )
            actions.do_set_sector_perimeter(
                version, acting_user=admin, geometry=geo.geojson_from_shape(shape)
            )
            park = actions.do_add_sector_zone(
                version,
                acting_user=admin,
                name="Parking de la dalle (fictif)",
                geometry=geo.geojson_from_shape(box(cx - 0.0012, cy - 0.0008, cx + 0.0012, cy + 0.0008)),
            )
            actions.do_add_split_row(
                version,
                acting_user=admin,
                category_group=CategoryGroup.objects.get(code="proprete"),
                unit=regie_unit,
                what="Balayage et ramassage des papiers deux fois par semaine",
            )
            actions.do_add_split_row(
                version,
                acting_user=admin,
                category=categories["encombrants"],
                zone=park,
                unit=units["dir-dechets"],
                what="Enlèvement des encombrants sur le parking",
            )
            actions.do_add_split_row(
                version,
                acting_user=admin,
                category=categories["tags"],
                unit=units["residences-mantois-agence"],
                what="Effacement des tags sur le patrimoine du bailleur",
            )
            actions.do_set_pooled_means(
                version,
                acting_user=admin,
                organisation=org["regie-quartier-val"],
                unit=regie_unit,
                yearly_capacity="1500",
                categories=[categories["dechets-diffus"], categories["tags"]],
                funding={
                    org["residences-mantois"]: "40",
                    admin.organisation: "40",
                    org["mantes-la-jolie"]: "20",
                },
            )
            actions.do_add_service_level_override(
                version, acting_user=admin, category=categories["tags"], acknowledge_hours=8, resolve_hours=40
            )
            approvals.do_submit_sector_version(version, acting_user=admin)
            for task in SectorApproval.objects.filter(version=version).select_related("partner__referent"):
                clock.at += datetime.timedelta(days=2)
                approvals.do_approve_sector_version(
                    task, acting_user=task.partner.referent, comment="D'accord."
                )
        created += 1
    if not SectorProcedure.objects.filter(code=PENDING_CODE).exists():
        version = actions.do_create_sector_procedure(
            acting_user=admin,
            code=PENDING_CODE,
            title="Les Molières – propreté renforcée (fictif)",
            description="Projet d'expérimentation aux Molières, en attente de validation (fictif).",
            starts_on=today + datetime.timedelta(days=30),
            evaluation_month=(today.month % 12) + 1,
            partners=[
                (org["habitat-seine-aval"], habitat, "Bailleur"),
                (org["les-mureaux"], users["demo-commune-2"], "Commune"),
            ],
            intervention_version=variant,
        )
        actions.do_set_sector_perimeter(
            version,
            acting_user=admin,
            subsectors=[Perimeter.objects.get(layer="subsectors", code="ss-cinq-quartiers-molieres")],
        )
        actions.do_add_split_row(
            version,
            acting_user=admin,
            category=categories["tags"],
            unit=units["habitat-seine-aval-agence"],
            what="Effacement des tags sous 48 heures",
        )
        approvals.do_submit_sector_version(version, acting_user=admin)
        task = SectorApproval.objects.get(version=version, partner__organisation=org["habitat-seine-aval"])
        approvals.do_approve_sector_version(task, acting_user=habitat, comment="Validé (fictif).")
        created += 1
    return created


CLECT_CODE = "clect-val-fourre-molieres"


def load_clect_groups():
    """One CLECT group (fictional), through the actions: the active demo procedure since its start, the
    Résidence des Peintres sub-sector inside it (its requests count once) and, from this year, the
    Molières sub-sector of Les Mureaux. Idempotent: returns how many groups were created."""
    from procedures.sectors import clect
    from procedures.sectors.clect_models import ClectGroup

    if ClectGroup.objects.filter(code=CLECT_CODE).exists():
        return 0
    admin = User.objects.get(username="demo-admin")
    procedure = SectorProcedure.objects.get(code=ACTIVE_CODE)
    started = procedure.versions.order_by("number").first().starts_on
    group = clect.do_create_clect_group(
        acting_user=admin,
        code=CLECT_CODE,
        name="Val Fourré et Molières – charges transférées (fictif)",
        description="Regroupement des périmètres des procédures de sous-secteur pour la CLECT (fictif).",
    )
    clect.do_add_clect_member(group, acting_user=admin, procedure=procedure, starts_on=started)
    for code, starts_on in (
        ("ss-val-fourre-peintres", started),
        ("ss-cinq-quartiers-molieres", datetime.date(timezone.localdate().year, 1, 1)),
    ):
        perimeter = Perimeter.objects.get(layer="subsectors", code=code)
        clect.do_add_clect_member(group, acting_user=admin, perimeter=perimeter, starts_on=starts_on)
    return 1
