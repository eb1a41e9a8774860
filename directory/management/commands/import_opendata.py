from contextlib import ExitStack
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory import actions
from directory.layers import ImportFailed


class Command(BaseCommand):
    help = (
        "Import open land data as published: Etalab cadastre parcels (GeoJSON, gzipped or not) with the "
        "DGFiP legal-entity owners (CSV), the ANCT 2024 QPV geography, or the communes' outlines (geo API). "
        "All or nothing; --dry-run prints the report and writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["cadastre", "qpv", "communes"])
        parser.add_argument("file", help="GeoJSON file (.json or .json.gz)")
        parser.add_argument(
            "more_files", nargs="*", metavar="FILE", help="cadastre: more communes' files, in the same run"
        )
        parser.add_argument("--owners", help="cadastre: DGFiP CSV of parcels owned by legal entities")
        parser.add_argument("--dry-run", action="store_true", help="Print the report, write nothing.")

    def handle(self, *args, kind, file, more_files=(), owners=None, dry_run=False, **options):
        try:
            with Path(file).open("rb") as fileobj:
                if kind == "cadastre":
                    with ExitStack() as stack:
                        owners_file = stack.enter_context(Path(owners).open("rb")) if owners else None
                        others = [stack.enter_context(Path(name).open("rb")) for name in more_files]
                        report = actions.do_import_cadastre(
                            [fileobj, *others] if others else fileobj,
                            owners_file=owners_file,
                            dry_run=dry_run,
                            stream=self.stderr._out,
                            source=str(file),
                            acting_user=None,
                        )
                    for line in report.lines():
                        self.stdout.write(line)
                    return
                result, skipped = actions.do_import_open_layer(
                    kind,
                    fileobj,
                    dry_run=dry_run,
                    stream=self.stderr._out,
                    source=str(file),
                    acting_user=None,
                )
        except OSError as exc:
            raise CommandError(f"cannot read {exc.filename}: {exc.strerror}") from None
        except ImportFailed as failure:
            raise CommandError(f"{file}: nothing was saved: {failure.errors[0]}") from None
        self.stdout.write(
            f"{'Dry run: nothing written. ' if dry_run else ''}Layer {result.layer}: "
            f"{result.created} created, {result.updated} updated, {result.deleted} deleted; "
            f"{skipped} feature(s) outside the community left out."
        )
