"""Benchmark of the walking diagnostics on a throwaway SQLite database (no server needed).

    .venv/bin/python bench/bench_diagnostics.py [--findings 300]

It migrates a temporary database, builds the test territory (tests/factories.py), a published grid and a
diagnostic in the field, then measures through diagnostics.actions and diagnostics.analysis:

1. recording --findings findings (a photo on every third): findings per second;
2. the same findings sent again (the phone's retries: each a no-op by client identifier): per second;
3. the analysis of the diagnostic (groups, routing of every point, duplicates nearby): seconds;
4. the PDF report (WeasyPrint, photos embedded, SVG map): seconds.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = tempfile.mkdtemp(prefix="gup-bench-diagnostics-")
os.environ["DATABASE_URL"] = f"sqlite:///{TMP}/bench.sqlite3"
os.environ["MEDIA_ROOT"] = f"{TMP}/media"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--findings", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from io import StringIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from diagnostics.actions import do_move_diagnostic, do_record_finding
    from diagnostics.analysis import analyse
    from tests.diagnostics.conftest import PNG, item, make_walk
    from tests.factories import build_world

    call_command("migrate", verbosity=0)
    call_command("setup_procedures", stdout=StringIO())
    setup_test_environment()
    world = build_world()
    walk = make_walk(world)  # under analysis: findings are still heard (late phones)
    version = walk.grid_version
    items = [item(version, "proprete/encombrants"), item(version, "proprete/corbeilles")]
    rows = [
        {
            "client_id": f"bench-{n:06d}",
            "item": items[n % 2],
            "rating": n % 4,
            "lon": 1.7055 + (n % 20) * 0.0004,
            "lat": 48.9855 + (n // 20 % 20) * 0.0004,
            "comment": f"Constat {n}",
        }
        for n in range(args.findings)
    ]

    def send(row):
        photos = (
            [SimpleUploadedFile("p.png", PNG, content_type="image/png")]
            if int(row["client_id"][-6:]) % 3 == 0
            else []
        )
        return do_record_finding(walk, acting_user=world.commune_user, photos=photos, **row)

    started = time.perf_counter()
    for row in rows:
        send(row)
    first = time.perf_counter() - started
    started = time.perf_counter()
    for row in rows:
        assert send(row)[1] is False
    again = time.perf_counter() - started
    started = time.perf_counter()
    points, groups = analyse(walk, world.commune_user)
    analysis = time.perf_counter() - started
    client = Client()
    client.force_login(world.commune_user)
    started = time.perf_counter()
    answer = client.get(f"/diagnostics/{walk.pk}/report.pdf")
    pdf = time.perf_counter() - started
    assert answer.status_code == 200
    total = len(points)
    print(f"findings recorded: {args.findings} in {first:.2f}s = {args.findings / first:.0f}/s")
    print(f"same findings sent again (no-op): {again:.2f}s = {args.findings / again:.0f}/s")
    print(f"analysis of {total} findings ({len(groups)} groups, routing and duplicates): {analysis:.2f}s")
    print(f"PDF report of {total} findings: {pdf:.2f}s, {len(answer.content) // 1024} KiB")
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    do_move_diagnostic(walk, "close", acting_user=world.commune_user)


if __name__ == "__main__":
    main()
