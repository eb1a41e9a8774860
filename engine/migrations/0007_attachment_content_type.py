from django.db import migrations, models

# Until now the type recognised at upload was kept, if anywhere, in the description ("image/png").
KNOWN_TYPES = ["image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"]


def move_types_out_of_descriptions(apps, schema_editor):
    Attachment = apps.get_model("engine", "Attachment")
    for content_type in KNOWN_TYPES:
        Attachment.objects.filter(description=content_type).update(content_type=content_type, description="")


def move_types_back(apps, schema_editor):
    Attachment = apps.get_model("engine", "Attachment")
    for content_type in KNOWN_TYPES:
        Attachment.objects.filter(content_type=content_type, description="").update(description=content_type)


class Migration(migrations.Migration):
    dependencies = [
        ("engine", "0006_case_shares"),
    ]

    operations = [
        migrations.AddField(
            model_name="attachment",
            name="content_type",
            field=models.CharField(blank=True, max_length=100, verbose_name="content type"),
        ),
        migrations.RunPython(move_types_out_of_descriptions, move_types_back),
    ]
