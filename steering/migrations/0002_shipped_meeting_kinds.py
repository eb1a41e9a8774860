from django.db import migrations

KINDS = [
    ("referents_meeting", "Réunion des référents GUP", "GUP referents' meeting"),
    ("partner_workshop", "Atelier partenarial", "Partner workshop"),
    ("technical_committee", "Comité technique", "Technical committee"),
    ("steering_committee", "Comité de pilotage", "Steering committee"),
    ("services_meeting", "Réunion des services (communes et communauté)", "Services' meeting (communes and community)"),
]


def add_kinds(apps, schema_editor):
    MeetingKind = apps.get_model("steering", "MeetingKind")
    for position, (code, name, name_en) in enumerate(KINDS, 1):
        MeetingKind.objects.get_or_create(code=code, defaults={"name": name, "name_en": name_en, "position": position})


class Migration(migrations.Migration):
    dependencies = [("steering", "0001_initial")]
    operations = [migrations.RunPython(add_kinds, migrations.RunPython.noop)]
