from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.actions import do_import_layer
from directory.layers import LAYERS, ImportFailed


class Command(BaseCommand):
    help = (
        "Import a GeoJSON FeatureCollection (WGS84) into a territory layer, all or nothing. "
        "Properties per layer: docs/geojson-layers.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--layer", required=True, choices=LAYERS)
        parser.add_argument("file", help="GeoJSON file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the whole layer: features absent from the file are deleted, the others updated.",
        )

    def handle(self, *args, layer, file, replace=False, **options):
        try:
            raw = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        try:
            result = do_import_layer(
                layer, raw, acting_user=None, replace=replace, stream=self.stderr._out, source=str(file)
            )
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(error)
            count = len(failure.errors)
            raise CommandError(
                f"{count} error{'s' if count > 1 else ''} in {file}, nothing was saved: {failure.errors[0]}"
            ) from None
        summary = (
            f"Layer {layer}: {result.created} created, {result.updated} updated, {result.deleted} deleted."
        )
        if result.owners_changed:
            summary += f" New owner from today for {result.owners_changed} parcel(s) (the former one dated)."
        if result.communes_created:
            summary += f" New commune organisations: {', '.join(result.communes_created)}."
        if result.delegations_changed:
            summary += f" Delegated management changed in {result.delegations_changed} sub-sector(s)."
        self.stdout.write(summary)
