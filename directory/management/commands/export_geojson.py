import json

from django.core.management.base import BaseCommand, CommandError

from directory.layers import LAYERS, export_layer


class Command(BaseCommand):
    help = "Export a territory layer as a GeoJSON FeatureCollection (WGS84); FILE '-' writes to stdout."

    def add_arguments(self, parser):
        parser.add_argument("--layer", required=True, choices=LAYERS)
        parser.add_argument("file", help="output GeoJSON file, or - for stdout")

    def handle(self, *args, layer, file, **options):
        collection = export_layer(layer)
        text = json.dumps(collection, ensure_ascii=False)
        if file == "-":
            self.stdout.write(text)
            return
        try:
            with open(file, "w", encoding="utf-8") as out:
                out.write(text)
        except OSError as exc:
            raise CommandError(f"cannot write {file}: {exc.strerror}") from None
        self.stderr.write(f"Layer {layer}: {len(collection['features'])} features written to {file}.")
