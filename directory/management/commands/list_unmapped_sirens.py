from django.core.management.base import BaseCommand

from directory.opendata import unmapped_sirens


class Command(BaseCommand):
    help = (
        "SIRENs of today's land owners (DGFiP files) mapped to no organisation, with names and parcel counts."
    )

    def handle(self, *args, **options):
        rows = unmapped_sirens()
        for siren, name, count in rows:
            self.stdout.write(f"{siren};{name};{count}")
        if not rows:
            self.stdout.write("Every SIREN is mapped.")
