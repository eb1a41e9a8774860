"""TFPB demonstration data (fictional): two landlords' conventions, each with last year's programme validated
and its yearly review validated, and this year's programme in review by the partners. Everything goes
through tfpb.actions and the approval block's actions; loading twice changes nothing."""

from decimal import Decimal

from django.utils import timezone

from directory.actions import do_assign_person_role
from directory.approvals.actions import do_approve_partner_review
from directory.models import Layer, Organisation, PartnerReview, Perimeter, User
from directory.roles import Role
from tfpb import actions
from tfpb.models import Axis, Convention

DEMO_PASSWORD = "demo"
CENT = Decimal("0.01")
# (username, first name, last name, organisation code, role): the partners' referents who answer the
# reviews, and the second landlord's agent (the first one is demo-landlord).
PARTNER_USERS = [
    ("demo-etat", "Nicolas", "Perrin (fictif)", "prefecture-78", Role.REFERENT),
    ("demo-cu-tfpb", "Sophie", "Laurent (fictif)", "gpso", Role.REFERENT),
    ("demo-landlord-2", "Marc", "Dupuis (fictif)", "habitat-seine-aval", Role.AGENT),
]
# (reference, landlord, QPV, commune, dwellings, expected yearly abatement, commune referent)
CONVENTIONS = [
    ("TFPB-2024-RDM (fictif)", "residences-mantois", "qpv-val-fourre", "mantes-la-jolie", 1850, "310 000",
     "demo-commune"),
    ("TFPB-2024-HSA (fictif)", "habitat-seine-aval", "qpv-cinq-quartiers", "les-mureaux", 1200, "205 000",
     "demo-commune-2"),
]  # fmt: skip
# (axis, title, places, share of the abatement in %, indicator, unit, target)
ACTIONS = [
    ("reinforced_upkeep", "Nettoyage renforcé des halls et des abords", "Toutes les résidences du QPV", 40,
     "Passages par semaine", "passages", "5"),
    ("waste", "Enlèvement hebdomadaire des encombrants", "Pieds d'immeubles", 20,
     "Tournées réalisées", "tournées", "52"),
    ("tranquillity", "Médiation de soirée", "Secteur central", 20, "Soirées couvertes", "soirées", "150"),
    ("social_life", "Fête de quartier et jardins partagés", "Square central", 8, "Participants", "personnes",
     "300"),
    ("small_works", "Remplacement des éclairages des parkings", "Parkings souterrains", 15,
     "Points lumineux remplacés", "points", "120"),
]  # fmt: skip


def _user(username, first_name, last_name, organisation, role):
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, first_name=first_name, last_name=last_name, organisation=organisation)
        user.email = f"{username}@example.org"
        user.set_password(DEMO_PASSWORD)
        user.save()
    do_assign_person_role(user, role, acting_user=None)
    return user


# The actions placed on the map (the others concern every residence of the QPV, or no single place).
PLACED = ("tranquillity", "social_life")


def _places_in(qpv):
    """Two points inside the QPV for the demo's placed actions: one guaranteed inside, and the middle of
    the QPV when it is inside too (else the first again)."""
    shape = qpv.shape()
    inside, middle = shape.representative_point(), shape.centroid
    points = [inside, middle if shape.covers(middle) else inside]
    return [{"type": "Point", "coordinates": [round(p.x, 6), round(p.y, 6)]} for p in points]


def _programme(convention, year, qpv, landlord_user):
    programme = actions.do_create_programme(convention, year=year, qpv=qpv, acting_user=landlord_user)
    axes = {axis.code: axis for axis in Axis.objects.all()}
    places_on_map = dict(zip(PLACED, _places_in(qpv), strict=True))
    for axis, title, places, share, indicator, unit, target in ACTIONS:
        amount = (convention.expected_abatement_eur * share / 100).quantize(CENT)
        actions.do_add_programme_action(
            programme,
            axis=axes[axis],
            title=title,
            places=places,
            location=places_on_map.get(axis),
            planned_amount=amount,
            indicators=[{"name": indicator, "unit": unit, "target": target}],
            acting_user=landlord_user,
        )
    return programme


def _approve_all(programme, referents):
    for review in PartnerReview.objects.filter(subject_id=programme.pk, status=PartnerReview.Status.PENDING):
        referent = referents.get(review.organisation_id)
        if referent is not None:
            do_approve_partner_review(review, acting_user=referent, comment="Avis favorable (démonstration).")


def load_tfpb():
    """Returns the number of conventions created."""
    organisations = {o.code: o for o in Organisation.objects.filter(code__in=_codes())}
    if len(organisations) < len(_codes()):
        return 0  # the demo territory is not loaded
    partners = {
        code: _user(u, f, last, organisations[code], role) for u, f, last, code, role in PARTNER_USERS
    }
    this_year = timezone.localdate().year
    created = 0
    for reference, landlord_code, qpv_code, commune_code, dwellings, amount, commune_user in CONVENTIONS:
        if Convention.objects.filter(reference=reference).exists():
            continue
        landlord = organisations[landlord_code]
        qpv = Perimeter.objects.get(layer=Layer.QPV, code=qpv_code)
        convention = actions.do_create_convention(
            landlord=landlord,
            reference=reference,
            start_year=2024,
            end_year=2030,
            qpvs=[qpv],
            communes=[organisations[commune_code]],
            state=organisations["prefecture-78"],
            community=organisations["gpso"],
            dwellings=dwellings,
            expected_abatement=amount,
            acting_user=None,
        )
        landlord_user = User.objects.filter(organisation=landlord).first()
        referents = {
            organisations[commune_code].pk: User.objects.get(username=commune_user),
            organisations["prefecture-78"].pk: partners["prefecture-78"],
            organisations["gpso"].pk: partners["gpso"],
        }
        last = _programme(convention, this_year - 1, qpv, landlord_user)
        actions.do_submit_programme(last, acting_user=landlord_user)
        _approve_all(last, referents)
        last.refresh_from_db()
        for index, action in enumerate(last.actions.prefetch_related("indicators")):
            realised = (action.planned_amount_eur * (100 - 3 * index) / 100).quantize(CENT)
            indicator = action.indicators.first()
            actions.do_record_realisation(
                action,
                realised_amount=realised,
                comment="Réalisé comme prévu."
                if index % 2 == 0
                else "Réalisé en partie, reporté au printemps.",
                indicators_reached={
                    str(indicator.pk): str((indicator.target * (100 - 5 * index) / 100).quantize(CENT))
                },
                acting_user=landlord_user,
            )
        actions.do_submit_year_review(
            last, comment="Bilan de l'année (démonstration).", acting_user=landlord_user
        )
        _approve_all(last, referents)
        current = _programme(convention, this_year, qpv, landlord_user)
        actions.do_submit_programme(current, acting_user=landlord_user)
        commune_review = PartnerReview.objects.get(
            subject_id=current.pk,
            organisation=organisations[commune_code],
            status=PartnerReview.Status.PENDING,
        )
        do_approve_partner_review(commune_review, acting_user=referents[organisations[commune_code].pk])
        created += 1
    return created


def _codes():
    return {"prefecture-78", "gpso", *(c[1] for c in CONVENTIONS), *(c[3] for c in CONVENTIONS)}
