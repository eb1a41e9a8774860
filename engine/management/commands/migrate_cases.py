from django.core.management.base import BaseCommand, CommandError

from engine.actions import do_migrate_cases
from engine.errors import DefinitionInvalid


def parse_mapping(items):
    mapping, problems = {}, []
    for item in items:
        old, sep, new = item.partition("=")
        if not sep or not old.strip() or not new.strip():
            problems.append(f"--map {item}: expected old_state=new_state")
        elif old.strip() in mapping:
            problems.append(f"--map {item}: '{old.strip()}' is mapped twice")
        else:
            mapping[old.strip()] = new.strip()
    return mapping, problems


class Command(BaseCommand):
    help = (
        "Move the running cases of a procedure from one version to another with an explicit state mapping "
        "(every state in use must be mapped); writes an audit entry per case. All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("procedure", help="Procedure code.")
        parser.add_argument(
            "--from", dest="from_number", type=int, required=True, help="Source version number."
        )
        parser.add_argument("--to", dest="to_number", type=int, required=True, help="Target version number.")
        parser.add_argument(
            "--map",
            dest="mapping",
            nargs="+",
            default=[],
            metavar="OLD=NEW",
            help="State mapping, e.g. waiting=paused.",
        )
        parser.add_argument("--reason", default="", help="Recorded in each case's audit entry.")

    def handle(self, *args, procedure, from_number, to_number, mapping, reason="", **options):
        parsed, problems = parse_mapping(mapping)
        if not problems:
            try:
                moved = do_migrate_cases(
                    procedure, from_number, to_number, parsed, acting_user=None, reason=reason
                )
            except DefinitionInvalid as error:
                problems = error.problems
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(problems)} problem(s), no case moved", returncode=2)
        self.stdout.write(
            f"{procedure}: {moved} running case(s) moved from version {from_number} to {to_number}"
        )
