import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from engine.errors import InvalidFields
from observation.actions import do_take_backlog_snapshot


def _month(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"Month '{text}': expected YYYY-MM, e.g. 2026-03.") from None


class Command(BaseCommand):
    help = (
        "Take the backlog snapshot (requests still to be done at the end of the month) of each month from "
        "--since to --until (default: the last month that ended). A month already taken is kept unless "
        "--replace. The worker takes each month's snapshot once it ends."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", help="First month, YYYY-MM.")
        parser.add_argument("--until", help="Last month, YYYY-MM (default: the last month that ended).")
        parser.add_argument("--replace", action="store_true", help="Take again the months already taken.")

    def handle(self, *args, since=None, until=None, replace=False, **options):
        last_ended = (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
        until = _month(until) if until else last_ended
        since = _month(since) if since else until
        if since > until:
            raise CommandError("--since must not be after --until.")
        month, taken, kept = since, 0, 0
        while month <= until:
            try:
                done = do_take_backlog_snapshot(month, acting_user=None, replace=replace)
            except InvalidFields as error:
                raise CommandError(" ".join(str(message) for message in error.errors.values())) from None
            taken, kept = (taken + 1, kept) if done else (taken, kept + 1)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        self.stdout.write(f"Backlog snapshots: {taken} taken, {kept} already taken and kept.")
