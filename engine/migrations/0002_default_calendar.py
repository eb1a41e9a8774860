from django.db import migrations


def create_default_calendar(apps, schema_editor):
    BusinessCalendar = apps.get_model("engine", "BusinessCalendar")
    BusinessCalendar.objects.get_or_create(
        code="default",
        defaults={
            "name": "Calendrier par défaut (jours ouvrés, fériés de France métropolitaine)",
            "weekdays": [0, 1, 2, 3, 4],
            "hours": [["08:30", "12:00"], ["13:30", "17:00"]],
            "public_holidays": True,
            "time_zone": "Europe/Paris",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("engine", "0001_initial")]

    operations = [migrations.RunPython(create_default_calendar, migrations.RunPython.noop)]
