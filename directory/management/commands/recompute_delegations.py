from django.core.management.base import BaseCommand

from directory.delegation import recompute_delegations
from directory.models import Layer, Perimeter


class Command(BaseCommand):
    help = "Recompute every sub-sector's land shares and delegated manager (writes only what changed)."

    def handle(self, *args, **options):
        changed = recompute_delegations()
        total = Perimeter.objects.filter(layer=Layer.SUBSECTORS).count()
        self.stdout.write(f"{changed} of {total} sub-sectors changed.")
