from django.core.management.base import BaseCommand

from directory import routing


class Command(BaseCommand):
    help = (
        "Write the parcels' part of the routing index for the current territory version into "
        "ROUTING_INDEX_DIR (web workers map it instead of building it), unless it is there already."
    )

    def handle(self, *args, **options):
        path = routing.write_index_file()
        territory = routing.index_file(routing.LayerVersion.stamp()[0])
        if territory is None:
            self.stdout.write("ROUTING_INDEX_DIR is empty: no index file.")
        elif path is None:
            self.stdout.write(f"Up to date: {territory}")
        else:
            self.stdout.write(f"Written: {path}")
