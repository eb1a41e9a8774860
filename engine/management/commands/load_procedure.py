from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from engine.actions import do_store_version
from engine.errors import DefinitionInvalid


class Command(BaseCommand):
    help = (
        "Validate a procedure definition (YAML) and store it as a new version (draft, or published with "
        "--publish). On problems, print them one per line, save nothing and exit non-zero."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the YAML definition.")
        parser.add_argument("--publish", action="store_true", help="Publish the new version at once.")

    def handle(self, *args, file, publish=False, **options):
        path = Path(file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"{file}: cannot read the file ({error})") from None
        try:
            version = do_store_version(text, acting_user=None, publish=publish)
        except DefinitionInvalid as error:
            for problem in error.problems:
                self.stderr.write(problem)
            first = " ".join(str(error.problems[0]).split()) if error.problems else ""
            raise CommandError(
                f"{file}: {len(error.problems)} problem(s), nothing saved: {first}", returncode=2
            ) from None
        self.stdout.write(f"{version.procedure.code} version {version.number} {version.status}")
