"""Start the yearly evaluation timer of every sub-sector procedure in force that has none running (those
activated before the timer existed). Idempotent; ``--dry-run`` only counts."""

from django.core.management.base import BaseCommand
from django.db import transaction

from procedures.sectors import evaluations
from procedures.sectors.models import SectorProcedure, SectorVersionStatus


class Command(BaseCommand):
    help = "Arm the yearly evaluation timer of the active sub-sector procedures that have none."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, dry_run=False, **options):
        armed = 0
        procedures = SectorProcedure.objects.filter(versions__status=SectorVersionStatus.ACTIVE).distinct()
        for procedure in procedures.order_by("code"):
            if dry_run:
                with transaction.atomic():
                    armed += evaluations.do_arm_sector_evaluation(procedure)
                    transaction.set_rollback(True)
            else:
                armed += evaluations.do_arm_sector_evaluation(procedure)
        verb = "would be armed" if dry_run else "armed"
        self.stdout.write(f"Evaluation timers {verb}: {armed} of {procedures.count()} active procedures.")
