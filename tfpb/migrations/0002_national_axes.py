"""The usual axes of the national framework of the TFPB abatement (cadre national d'utilisation de
l'abattement de TFPB dans les QPV), shipped as data: administrators may rename, order or add axes."""

from django.db import migrations

AXES = [
    ("reinforced_upkeep", "Sur-entretien (renforcement de l'entretien et de la maintenance)"),
    ("waste", "Gestion des déchets et des encombrants, épaves"),
    ("tranquillity", "Tranquillité résidentielle"),
    ("tenant_consultation", "Concertation et sensibilisation des locataires"),
    ("social_life", "Animation, lien social, vivre ensemble"),
    ("small_works", "Petits travaux d'amélioration du cadre de vie"),
    ("staff_training", "Formation et soutien des personnels de proximité"),
    ("other", "Autres actions"),
]


def ship(apps, schema_editor):
    Axis = apps.get_model("tfpb", "Axis")
    for position, (code, name) in enumerate(AXES, start=1):
        Axis.objects.update_or_create(code=code, defaults={"name": name, "position": position})


class Migration(migrations.Migration):
    dependencies = [("tfpb", "0001_initial")]

    operations = [migrations.RunPython(ship, migrations.RunPython.noop)]
