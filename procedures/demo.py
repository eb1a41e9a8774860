"""Demonstration categories of intervention requests, in groups, with their urgency criteria,
attributes and service levels.

Keyed by code: loading twice changes nothing.
"""

from procedures.models import Category, CategoryAttribute, CategoryGroup, ServiceLevel, UrgencyCriterion

GROUPS = [
    ("proprete", "Propreté et déchets", "Cleanliness and waste"),
    ("voirie", "Voirie, éclairage et réseaux", "Roads, lighting and networks"),
    ("espaces", "Espaces verts et équipements", "Green spaces and facilities"),
    ("cadre-de-vie", "Cadre de vie et tranquillité", "Living environment and quiet enjoyment"),
]

# (code, group, French name, English name, description, keywords)
CATEGORIES = [
    ("encombrants", "proprete", "Encombrants", "Bulky waste",
     "Objets volumineux déposés hors des collectes prévues.", "meuble, matelas, électroménager"),
    ("depot-sauvage", "proprete", "Dépôt sauvage", "Fly-tipping",
     "Déchets abandonnés sur l'espace public ou un terrain.", "gravats, sacs, dépôt"),
    ("dechets-diffus", "proprete", "Déchets diffus et propreté", "Litter",
     "Papiers, canettes, corbeilles débordantes.", "papiers, corbeille, propreté"),
    ("tags", "cadre-de-vie", "Tags et graffitis", "Graffiti",
     "Inscriptions sur le mobilier ou les façades.", "tag, graffiti, affichage"),
    ("eclairage", "voirie", "Éclairage public", "Street lighting",
     "Candélabre éteint, allumé de jour ou endommagé.", "lampadaire, candélabre, lumière"),
    ("chaussee", "voirie", "Chaussée et trottoirs dégradés", "Road damage",
     "Nid-de-poule, trottoir soulevé, bordure cassée.", "nid-de-poule, trottoir, enrobé"),
    ("signalisation", "voirie", "Signalisation", "Signage",
     "Panneau manquant ou abîmé, marquage effacé.", "panneau, feu, marquage"),
    ("assainissement", "voirie", "Assainissement et avaloirs", "Drainage",
     "Avaloir bouché, inondation de la chaussée, odeurs.", "avaloir, égout, inondation"),
    ("espaces-verts", "espaces", "Espaces verts", "Green spaces",
     "Tonte, taille, arbre dangereux, massif à entretenir.", "arbre, pelouse, haie"),
    ("aire-de-jeux", "espaces", "Aire de jeux", "Playground",
     "Jeu cassé ou dangereux, sol souple dégradé.", "jeu, toboggan, balançoire"),
    ("vehicule-ventouse", "cadre-de-vie", "Véhicule ventouse ou épave", "Abandoned vehicle",
     "Véhicule abandonné ou stationné depuis plus de 7 jours.", "épave, voiture, stationnement"),
    ("nuisibles", "cadre-de-vie", "Nuisibles", "Pests",
     "Rats, pigeons, frelons sur l'espace public.", "rats, dératisation, frelons"),
]  # fmt: skip


def _upsert(model, defaults, **lookup):
    """update_or_create that writes only what differs: a second load rewrites nothing (nor bumps the
    catalogue counter that filings key their cache on)."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **defaults), True
    changed = [name for name, value in defaults.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, defaults[name])
    if changed:
        row.save(update_fields=[model._meta.get_field(name).attname for name in changed])
    return row, False


def load_categories():
    groups = {}
    for position, (code, name, name_en) in enumerate(GROUPS):
        groups[code], _ = _upsert(
            CategoryGroup, code=code, defaults={"name": name, "name_en": name_en, "position": position}
        )
    for code, group, name, name_en, description, keywords in CATEGORIES:
        _upsert(
            Category,
            code=code,
            defaults={
                "group": groups[group],
                "name": name,
                "name_en": name_en,
                "description": description,
                "keywords": keywords,
            },
        )
    return len(CATEGORIES)


# (category code, criterion code, label): objective reasons that make a request urgent.
URGENCY_CRITERIA = [
    ("encombrants", "access-blocked", "Bloque un accès (porte, escalier, voie pompiers)"),
    ("depot-sauvage", "hazardous-waste", "Déchets dangereux (amiante, produits chimiques, seringues)"),
    ("depot-sauvage", "access-blocked", "Bloque un accès (porte, escalier, voie pompiers)"),
    ("depot-sauvage", "near-school", "Aux abords d'une école ou d'une crèche"),
    ("eclairage", "danger-people", "Câbles apparents ou candélabre menaçant de tomber"),
    ("eclairage", "dark-crossing", "Passage piéton ou carrefour dans le noir"),
    ("chaussee", "danger-people", "Danger pour les piétons ou les véhicules"),
    ("signalisation", "danger-people", "Feu ou panneau de priorité hors service"),
    ("assainissement", "flooding", "Inondation de la chaussée ou d'un logement"),
    ("assainissement", "open-manhole", "Regard ouvert ou descellé"),
    ("espaces-verts", "danger-people", "Arbre ou branche menaçant de tomber"),
    ("aire-de-jeux", "danger-children", "Jeu dangereux pour les enfants"),
    ("nuisibles", "near-school", "Aux abords d'une école ou d'une crèche"),
]

# (category code, attribute code, label, type, required, choices, extra)
ATTRIBUTES = [
    ("encombrants", "volume", "Volume estimé (m³)", "number", True, [], {"min_value": 0, "max_value": 100}),
    ("depot-sauvage", "nature", "Nature des déchets", "multiple_choice", True,
     ["gravats", "végétaux", "ordures ménagères", "encombrants", "autres"], {}),
    ("depot-sauvage", "land", "Lieu du dépôt", "single_choice", False,
     ["voie publique", "terrain privé", "pied d'immeuble"], {}),
    ("eclairage", "pole-number", "Numéro du candélabre", "string", False, [], {"max_length": 30}),
    ("vehicule-ventouse", "plate", "Immatriculation", "string", False, [], {"max_length": 12}),
    ("vehicule-ventouse", "seen-since", "Vu stationné depuis le", "datetime", False, [], {}),
]  # fmt: skip

# English labels of the criteria (by criterion code) and of the attributes and their choices.
CRITERIA_EN = {
    "access-blocked": "Blocks an access (door, stairs, fire lane)",
    "hazardous-waste": "Hazardous waste (asbestos, chemicals, syringes)",
    "near-school": "Next to a school or a nursery",
    "danger-people": "Danger to people",
    "dark-crossing": "Pedestrian crossing or junction in the dark",
    "flooding": "Flooded road or home",
    "open-manhole": "Open or loose manhole",
    "danger-children": "Play equipment dangerous for children",
}
ATTRIBUTES_EN = {
    "volume": ("Estimated volume (m³)", {}),
    "nature": (
        "Kind of waste",
        {
            "gravats": "rubble",
            "végétaux": "green waste",
            "ordures ménagères": "household waste",
            "encombrants": "bulky items",
            "autres": "other",
        },
    ),
    "land": (
        "Where it was dumped",
        {
            "voie publique": "public road",
            "terrain privé": "private land",
            "pied d'immeuble": "foot of a building",
        },
    ),
    "pole-number": ("Lamp post number", {}),
    "plate": ("Number plate", {}),
    "seen-since": ("Seen parked since", {}),
}

# (name, category code or None, zone type, urgency, season start, season end, acknowledge h, resolve h)
SERVICE_LEVELS = [
    ("Standard", None, "", "", "", "", 16, 80),
    ("Standard en QPV", None, "qpv", "", "", "", 8, 56),
    ("Urgence", None, "", "urgent", "", "", 2, 14),
    ("Urgence en QPV", None, "qpv", "urgent", "", "", 2, 7),
    ("Encombrants en QPV", "encombrants", "qpv", "normal", "", "", 7, 21),
    ("Espaces verts en saison de pousse", "espaces-verts", "", "normal", "04-01", "09-30", 16, 70),
    ("Espaces verts hors saison", "espaces-verts", "", "normal", "10-01", "03-31", 21, 140),
]


def load_request_configuration():
    """Urgency criteria, attributes and service levels of the demo categories (idempotent)."""
    categories = {category.code: category for category in Category.objects.all()}
    for position, (category, code, label) in enumerate(URGENCY_CRITERIA):
        _upsert(
            UrgencyCriterion,
            category=categories[category],
            code=code,
            defaults={"label": label, "label_en": CRITERIA_EN.get(code, ""), "position": position},
        )
    for position, (category, code, label, kind, required, choices, extra) in enumerate(ATTRIBUTES):
        _upsert(
            CategoryAttribute,
            category=categories[category],
            code=code,
            defaults={
                "label": label,
                "label_en": ATTRIBUTES_EN.get(code, ("", {}))[0],
                "choice_labels_en": ATTRIBUTES_EN.get(code, ("", {}))[1],
                "type": kind,
                "required": required,
                "choices": choices,
                "position": position,
                **extra,
            },
        )
    for name, category, zone_type, urgency, start, end, acknowledge, resolve in SERVICE_LEVELS:
        _upsert(
            ServiceLevel,
            name=name,
            defaults={
                "category": categories[category] if category else None,
                "zone_type": zone_type,
                "urgency": urgency,
                "season_start": start,
                "season_end": end,
                "acknowledge_hours": acknowledge,
                "resolve_hours": resolve,
            },
        )
    return {
        "criteria": len(URGENCY_CRITERIA),
        "attributes": len(ATTRIBUTES),
        "service_levels": len(SERVICE_LEVELS),
    }
