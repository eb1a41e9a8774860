import time
from io import StringIO

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from diagnostics.demo import load_diagnostics
from directory.demo import DEMO_PASSWORD, DEMO_USERS, load_territory
from directory.models import User
from engine import outbox
from observation.demo import load_observation
from procedures.demo import load_categories, load_request_configuration
from procedures.demo_requests import load_requests
from procedures.sectors.demo import load_clect_groups, load_sector_procedures
from steering.demo import load_steering_demo
from tfpb.demo import load_tfpb


class Command(BaseCommand):
    help = "Load the demonstration territory, organisations, users and categories (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-absent", action="store_true", help="Do nothing when the demo accounts already exist."
        )
        parser.add_argument(
            "--without-requests", action="store_true", help="Leave out the fictional demo requests."
        )

    def handle(self, *args, if_absent=False, without_requests=False, **options):
        if getattr(settings, "PRODUCTION", False):
            # The demo accounts (demo-admin is a superuser) all have the password "demo".
            raise CommandError(
                "load_demo refuses to run with DJANGO_ENV=production: its accounts share the password 'demo'."
            )
        if if_absent and User.objects.filter(username=DEMO_USERS[0].username).exists():
            self.stdout.write("Demo data already loaded.")
            return
        started = time.monotonic()
        # The demo's history notifies its fictional people in the application, not by e-mail.
        quiet = override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend")
        with quiet:
            with transaction.atomic():
                summary = load_territory()
                categories = load_categories()
                configuration = load_request_configuration()
                call_command("setup_procedures", stdout=StringIO())  # the requests need their procedure
                load_sector_procedures()  # before the requests: those filed inside follow it
                load_clect_groups()  # the procedure's perimeters grouped for the CLECT
                requests = {"requests": 0} if without_requests else load_requests()
                load_tfpb()  # TFPB conventions, programmes and yearly reviews (fictional)
                import_string("accounts.demo.load_access_demo")()  # accounts/ sits above procedures/
                steering = load_steering_demo()
                diagnostics = load_diagnostics()  # the walking diagnostics' grid and demo walk
                if not without_requests:
                    load_observation()  # backlog snapshots, fines, last year's review
            outbox.dispatch()  # the history's events delivered here, quietly, not later by the worker
        self.stdout.write(
            f"Demo data: {summary['communes']} communes, {summary['qpv']} QPV, {summary['parcels']} parcels, "
            f"{categories} categories, {configuration['criteria']} urgency criteria, "
            f"{configuration['attributes']} attributes, {configuration['service_levels']} service levels."
        )
        if requests["requests"]:
            self.stdout.write(
                f"Demo requests (fictional): {requests['requests']} over the last months, "
                f"in {time.monotonic() - started:.1f}s."
            )
        if steering["meetings"]:
            self.stdout.write(
                f"Demo steering (fictional): {steering['meetings']} meetings, {steering['actions']} actions, "
                f"{steering['answers']} questionnaire answers, {steering['guide_pages']} guide pages."
            )
        if diagnostics["diagnostics"]:
            self.stdout.write(f"Demo walking diagnostic: {diagnostics['findings']} findings (fictional).")
        self.stdout.write(f"Demo accounts (password '{DEMO_PASSWORD}', demo data only):")
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec.username:<16} {', '.join(str(role.label) for role in spec.roles)}")
