from django.core.management.base import BaseCommand, CommandError

from directory.models import Organisation, OrganisationKind
from engine.errors import InvalidFields
from observation.actions import do_generate_annual_review, do_request_review_run
from observation.actions.reviews import run_review
from observation.models import ReviewRun


def _one_line(error):
    return " ".join(str(message) for message in error.errors.values())


class Command(BaseCommand):
    help = (
        "Generate the annual review (bilan annuel) of a year: its figures and charts are computed and "
        "stored in the draft (a published review is left as it is). With --commune, that commune's "
        "only; without, the community's and every commune's, with the progress (as the worker does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="The year, e.g. 2026.")
        parser.add_argument("--commune", help="INSEE code of the commune (default: all of them).")

    def handle(self, *args, year, commune=None, **options):
        try:
            if commune:
                organisation = Organisation.objects.filter(
                    kind=OrganisationKind.COMMUNE, insee=commune
                ).first()
                if organisation is None:
                    raise CommandError(f"Unknown commune: no commune has the INSEE code {commune}.")
                review = do_generate_annual_review(year, organisation, acting_user=None)
                self.stdout.write(f"Review {year} of {organisation.name}: version {review.version}, draft.")
                return
            run, created = do_request_review_run(year, acting_user=None)
        except InvalidFields as error:
            raise CommandError(_one_line(error)) from None
        if not created:
            raise CommandError(f"The reviews of {year} are already being generated (run {run.pk}).")
        updated = ReviewRun.objects.filter(pk=run.pk, state=ReviewRun.State.QUEUED)
        if updated.update(state=ReviewRun.State.RUNNING) != 1:
            raise CommandError(f"The worker took run {run.pk} first.")
        try:
            run_review(run, progress=lambda done, total: self.stdout.write(f"  {done}/{total}"))
        except Exception:
            ReviewRun.objects.filter(pk=run.pk).update(state=ReviewRun.State.FAILED)
            raise
        ReviewRun.objects.filter(pk=run.pk).update(state=ReviewRun.State.DONE)
        run.refresh_from_db()
        self.stdout.write(
            f"Reviews {year}: {run.done} generated (the community and {run.done - 1} communes)."
        )
