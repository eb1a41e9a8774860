"""Load an observation grid from its YAML file as a new draft version (idempotent), optionally published."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from diagnostics.actions import load_grid_file
from engine.errors import InvalidFields

DEFAULT = Path(__file__).resolve().parents[2] / "grids" / "default.yaml"


class Command(BaseCommand):
    help = "Load an observation grid (YAML) as a new version; without a file, the default grid. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT))
        parser.add_argument(
            "--publish", action="store_true", help="Publish the version (retires the previous)."
        )

    def handle(self, *args, file, publish=False, **options):
        try:
            version, created = load_grid_file(file, publish=publish)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}.") from None
        except InvalidFields as exc:
            raise CommandError(" ".join(str(m) for m in exc.errors.values())) from None
        word = "Loaded" if created else "Already loaded:"
        self.stdout.write(f"{word} {version.grid.code} v{version.number} ({version.status}).")
