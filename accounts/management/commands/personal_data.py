"""A person's data on request: ``export USERNAME`` prints it as JSON; ``anonymise USERNAME`` anonymises
the account (accounts.actions.do_anonymise_person, as the system)."""

import json

from django.core.management.base import BaseCommand, CommandError

from accounts.actions.personal_data import do_anonymise_person, export_person_data
from directory.models import User


class Command(BaseCommand):
    help = "Export (JSON) or anonymise one person's personal data."

    def add_arguments(self, parser):
        parser.add_argument("operation", choices=["export", "anonymise"])
        parser.add_argument("username")

    def handle(self, *args, operation, username, **options):
        person = User.objects.filter(username=username).select_related("organisation", "unit").first()
        if person is None:
            raise CommandError(f"no account named {username!r}")
        if operation == "export":
            self.stdout.write(json.dumps(export_person_data(person), ensure_ascii=False, indent=1))
        else:
            person = do_anonymise_person(person, acting_user=None)
            self.stdout.write(f"account {person.pk} anonymised as {person.username}")
