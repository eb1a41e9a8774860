import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from observation.actions import do_refresh_monthly_figures


def _month(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"Month '{text}': expected YYYY-MM, e.g. 2026-03.") from None


class Command(BaseCommand):
    help = (
        "Rebuild the monthly aggregates of the figures (requests filed each month) from --since to "
        "--until (default: the current month), e.g. after a correction made outside the application. "
        "Without any option, refresh the months changed since the last run, as the worker does."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="First month, YYYY-MM.")
        parser.add_argument("--until", help="Last month, YYYY-MM (default: the current month).")

    def handle(self, *args, since=None, until=None, **options):
        if since is None and until is None:
            months = do_refresh_monthly_figures(acting_user=None, force=True)
        else:
            until = _month(until) if until else timezone.localdate().replace(day=1)
            since = _month(since) if since else until
            if since > until:
                raise CommandError("--since must not be after --until.")
            months, month = [], since
            while month <= until:
                months.append(month)
                month = (month + datetime.timedelta(days=32)).replace(day=1)
            months = do_refresh_monthly_figures(months, acting_user=None)
        self.stdout.write(f"Monthly figures: {len(months)} month(s) refreshed.")
