"""Benchmark of the TFPB part: a review round through the approval block (submit, three partners answer),
the review page's figures with its server-side SVG chart, the XLSX and PDF exports of a programme, and the
community-wide table of a year with N programmes.

    .venv/bin/python bench/bench_tfpb.py [--programmes 200] [--rounds 5]

Database: a temporary SQLite file (migrated here), removed at the end. Prints best and median times.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")


def timed(label, function, rounds):
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    print(f"{label:<48} best {min(times):8.1f} ms   median {statistics.median(times):8.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--programmes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="gup-bench-tfpb-")
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ["ENGINE_OUTBOX_DISPATCH_ON_COMMIT"] = "false"
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    call_command("migrate", stdout=StringIO())
    from shapely.geometry import box

    from directory.approvals.actions import do_approve_partner_review
    from directory.models import Layer, PartnerReview
    from tests.factories import build_world, make_perimeter
    from tests.tfpb.builders import build_programme, build_tfpb
    from tfpb import exports, figures
    from tfpb.actions import do_create_programme
    from tfpb.models import Programme

    world = build_world()
    tfpb = build_tfpb(world)

    def review_round():
        year = 2024 + Programme.objects.count() % 7
        qpv = make_perimeter(Layer.QPV, box(1.8, 48.9, 1.81, 48.91))
        tfpb.convention.qpvs.add(qpv)
        programme = do_create_programme(tfpb.convention, year=year, qpv=qpv, acting_user=None)
        from tfpb.actions import do_add_programme_action, do_submit_programme

        do_add_programme_action(
            programme,
            axis=tfpb.axes["waste"],
            title="Encombrants",
            planned_amount="130 000",
            acting_user=None,
        )
        do_submit_programme(programme, acting_user=None)
        for organisation, referent in tfpb.partners:
            review = PartnerReview.objects.get(subject_id=programme.pk, organisation=organisation)
            do_approve_partner_review(review, acting_user=referent)

    timed("submit + 3 partner approvals (one round)", review_round, args.rounds)
    programme = build_programme(tfpb, year=2030)
    timed("review page figures + SVG chart", lambda: exports.review_context(programme), args.rounds)
    timed("programme XLSX", lambda: exports.programme_xlsx(programme), args.rounds)
    timed("programme PDF (WeasyPrint)", lambda: exports.programme_pdf(programme), args.rounds)
    for _ in range(args.programmes):
        qpv = make_perimeter(Layer.QPV, box(1.8, 48.9, 1.81, 48.91))
        tfpb.convention.qpvs.add(qpv)
        do_create_programme(tfpb.convention, year=2029, qpv=qpv, acting_user=None)
    programmes = Programme.objects.all()
    timed(
        f"overview table of {args.programmes} programmes",
        lambda: figures.overview(2029, programmes),
        args.rounds,
    )
    timed(
        f"overview XLSX of {args.programmes} programmes",
        lambda: exports.overview_xlsx(2029, programmes),
        args.rounds,
    )
    print(f"load average: {os.getloadavg()}")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
