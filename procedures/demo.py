"""Demonstration categories of intervention requests, in groups.

Keyed by code: loading twice changes nothing.
"""

from procedures.models import Category, CategoryGroup

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


def load_categories():
    groups = {}
    for position, (code, name, name_en) in enumerate(GROUPS):
        groups[code], _ = CategoryGroup.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "position": position}
        )
    for code, group, name, name_en, description, keywords in CATEGORIES:
        Category.objects.update_or_create(
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
