from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engine.actions import do_store_version
from engine.definitions import parse_definition
from engine.errors import DefinitionInvalid
from engine.models import ProcedureVersion

DEFINITIONS_DIR = Path(__file__).resolve().parents[2] / "definitions"


class Command(BaseCommand):
    help = (
        "Load and publish every procedure definition under procedures/definitions/ whose version is not "
        "stored yet (idempotent). A stored version whose text differs from the file is an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("--directory", default=str(DEFINITIONS_DIR), help="Where the YAML files are.")

    def handle(self, *args, directory, **options):
        paths = sorted(Path(directory).glob("*.yaml"))
        if not paths:
            raise CommandError(f"{directory}: no procedure definition (*.yaml) found")
        for path in paths:
            text = path.read_text(encoding="utf-8")
            try:
                definition = parse_definition(text)
            except DefinitionInvalid as error:
                for problem in error.problems:
                    self.stderr.write(f"{path.name}: {problem}")
                raise CommandError(f"{path.name}: {len(error.problems)} problem(s), nothing saved") from None
            code, number = definition["procedure"], definition["version"]
            stored = ProcedureVersion.objects.filter(procedure__code=code, number=number).first()
            if stored is not None:
                if stored.source != text:
                    raise CommandError(
                        f"{path.name}: version {number} of {code} is already stored with a different text; "
                        "give the changed definition a new version number"
                    )
                self.stdout.write(f"{code} version {number} already there ({stored.status})")
                continue
            version = do_store_version(text, acting_user=None, publish=True)
            self.stdout.write(f"{code} version {version.number} {version.status}")
