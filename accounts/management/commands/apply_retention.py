"""Anonymise the closed requests older than GUP_PERSONAL_DATA_RETENTION_DAYS (the worker does it too);
``--dry-run`` lists what would change and writes nothing."""

import json

from django.core.management.base import BaseCommand

from accounts.actions.personal_data import apply_retention


class Command(BaseCommand):
    help = "Anonymise the personal data of closed requests older than the retention period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="say what would change, change nothing")
        parser.add_argument("--batch", type=int, default=10_000)

    def handle(self, *args, dry_run=False, batch=10_000, **options):
        result = apply_retention(dry_run=dry_run, batch=batch)
        if dry_run:
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=1))
            self.stdout.write(f"{len(result)} request(s) would be anonymised (dry run: nothing changed).")
        else:
            self.stdout.write(f"{result} request(s) anonymised.")
