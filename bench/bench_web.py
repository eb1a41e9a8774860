"""Benchmark of the web UI's heaviest pages with 100,000 intervention requests stored: server time of
the request list and of the handler's queue page (target: under 300 ms).

    .venv/bin/python bench/bench_web.py [--requests 100000] [--rounds 15]

Database: with DATABASE_URL=postgres://..., a throwaway database ``gup_bench_web`` is created on that
server and dropped at the end (also on failure); without it, a temporary SQLite file is used. The
demo territory and the procedure are loaded (``load_demo``, ``setup_procedures``), then the requests
are written in bulk with their engine rows, as the action layer leaves them: a case on the published
procedure version (30 % open in various states, 70 % closed), four role holders, and for open ones a
running resolution deadline (a third of them overdue). Points around the demo communes' centres,
filed over the last year, one in ten urgent.

Server time = a full request through Django's test client in this process (middleware, session,
scope filter, queries, template rendering), no network: best, median and worst of N rounds after a
warm-up, with the number of SQL queries per page.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")

DB_NAME = os.environ.get("BENCH_DB_NAME", "gup_bench_web")
BATCH = 5_000
OPEN_STATES = ["submitted", "acknowledged", "qualified", "planned", "in_progress"]


def postgres_parts():
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    return parts if parts.scheme.startswith("postgres") else None


def admin_connection(parts):
    import psycopg

    url = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    return psycopg.connect(url, autocommit=True)


def create_database():
    parts = postgres_parts()
    if parts is None:
        folder = tempfile.mkdtemp(prefix="gup-bench-web-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        return None
    with admin_connection(parts) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "", ""))
    return parts


def drop_database(parts):
    from django.db import connections

    connections.close_all()
    if parts is not None:
        with admin_connection(parts) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def setup_data():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("migrate", verbosity=0)
    call_command("setup_procedures", stdout=out)
    call_command("load_demo", stdout=out)


def fill(count, rng):
    """Write ``count`` requests with their cases, role holders and deadlines, in batches."""
    from django.db import transaction
    from django.utils import timezone

    from directory import access, geo
    from directory.demo import COMMUNES
    from directory.models import Organisation
    from directory.roles import Role
    from engine.models import Case, Deadline, DeadlineState, Phase, Procedure, RoleHolder
    from procedures.actions import PROCEDURE, dispatcher_for
    from procedures.models import Category, InterventionRequest

    procedure = Procedure.objects.get(code=PROCEDURE)
    version = procedure.latest_published()
    categories = list(Category.objects.filter(is_active=True))
    communes = []
    for _insee, _name, code, lon, lat in COMMUNES:
        commune = Organisation.objects.get(code=code)
        dispatcher = dispatcher_for(commune)
        communes.append((commune, dispatcher, lon, lat))
    transformer = geo._transformer(geo.WGS84, geo.LAMBERT93)
    now = timezone.now()
    year = now.year
    first = InterventionRequest.objects.filter(reference__startswith=f"DI-{year}-").count()  # the demo's
    written = 0
    while written < count:
        size = min(BATCH, count - written)
        cases, requests, facts = [], [], []
        for index in range(written, written + size):
            commune, dispatcher, lon0, lat0 = rng.choice(communes)
            lon = lon0 + rng.gauss(0, 700) / 73_000.0
            lat = lat0 + rng.gauss(0, 700) / 111_200.0
            created = now - timedelta(seconds=rng.randrange(365 * 86400))
            is_open = rng.random() < 0.3
            state = rng.choice(OPEN_STATES) if is_open else "closed"
            reference = f"DI-{year}-{first + index + 1:06d}"
            cases.append(
                Case(
                    procedure=procedure,
                    version=version,
                    state=state,
                    phase=Phase.OPEN if is_open else Phase.CLOSED,
                    reference=reference,
                    created_at=created,
                    updated_at=created,
                    closed_at=None if is_open else created + timedelta(days=5),
                )
            )
            facts.append((commune, dispatcher, lon, lat, created, is_open, reference))
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=1000)
            holders, deadlines = [], []
            for case, (commune, dispatcher, lon, lat, created, is_open, reference) in zip(
                cases, facts, strict=True
            ):
                category = rng.choice(categories)
                x, y = transformer.transform(lon, lat)
                urgent = rng.random() < 0.1
                requests.append(
                    InterventionRequest(
                        reference=reference,
                        case=case,
                        category=category,
                        category_group_id=category.group_id,
                        description=f"Bench request {reference}",
                        lon=lon,
                        lat=lat,
                        x_l93=x,
                        y_l93=y,
                        commune=commune,
                        in_qpv=rng.random() < 0.3,
                        urgency="urgent" if urgent else "normal",
                        urgency_requested="urgent" if urgent else "normal",
                        urgency_justified=(rng.random() < 0.7) if urgent else None,
                        requester_organisation=commune,
                        dispatcher_unit=dispatcher,
                        handler_unit=dispatcher,
                        handler_organisation_id=dispatcher.organisation_id if dispatcher else None,
                        routing_explanation="bench",
                        created_at=created,
                        closed_at=None if is_open else created + timedelta(days=5),
                    )
                )
                keys = {
                    "requester": access.organisation_key(commune),
                    "dispatcher": access.unit_key(dispatcher),
                    "handler": access.unit_key(dispatcher),
                    "dvq": access.role_key(Role.DVQ_OFFICER),
                }
                holders += [RoleHolder(case=case, role=role, party=party) for role, party in keys.items()]
                if is_open:
                    due = created + timedelta(days=10 if rng.random() < 0.33 else 400)
                    deadlines.append(
                        Deadline(
                            case=case,
                            kind="resolve",
                            state=DeadlineState.RUNNING,
                            duration_seconds=80 * 3600,
                            started_at=created,
                            resumed_at=created,
                            due_at=due,
                        )
                    )
            InterventionRequest.objects.bulk_create(requests, batch_size=1000)
            RoleHolder.objects.bulk_create(holders, batch_size=2000)
            Deadline.objects.bulk_create(deadlines, batch_size=2000)
        written += size
        print(f"  {written:,} requests written", end="\r", flush=True)
    print()


def analyze():
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def time_page(client, label, url, rounds):
    from django.db import connection

    response = client.get(url)  # warm-up (and a check that the page works)
    if response.status_code != 200:
        raise SystemExit(f"{label}: {url} answered {response.status_code}")
    counter = QueryCounter()
    timings = []
    with connection.execute_wrapper(counter):
        for _ in range(rounds):
            began = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - began) * 1e3)
    rows = response.content.decode().count('<a href="/requests/DI-')
    print(
        f"{label:<46} best {min(timings):7.1f} ms  median {statistics.median(timings):7.1f} ms  "
        f"worst {max(timings):7.1f} ms  {counter.count // rounds:>3} queries  {rows} rows shown"
    )
    return statistics.median(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the database (for EXPLAIN); not dropped")
    args = parser.parse_args()
    parts = create_database()
    import django

    django.setup()
    try:
        from django.conf import settings
        from django.db import connection
        from django.test import Client
        from django.test.utils import setup_test_environment

        from directory.models import User
        from procedures.models import InterventionRequest

        settings.ALLOWED_HOSTS = ["testserver"]
        setup_test_environment()
        print(f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']})")
        began = time.perf_counter()
        setup_data()
        fill(args.requests, random.Random(7))
        analyze()
        stored = InterventionRequest.objects.count()
        print(f"data: {stored:,} requests written in {time.perf_counter() - began:.0f} s")

        medians = {}
        pages = [
            ("demo-admin", "request list, administrator (all requests)", "/requests/"),
            ("demo-admin", "request list, administrator, page 100", "/requests/?status=all&page=100"),
            ("demo-commune", "request list, commune", "/requests/"),
            ("demo-commune", "request list, commune, urgent + text", "/requests/?urgency=urgent&q=Bench"),
            ("demo-dvq", "request list, DVQ, overdue", "/requests/?overdue=on"),
            ("demo-ctc", "queue page, CTC agent, team", "/queue/?queue=team"),
            ("demo-ctc", "queue page, CTC agent, to qualify", "/queue/?queue=to_qualify"),
            ("demo-ctc", "queue page, CTC agent, overdue", "/queue/?queue=overdue"),
            ("demo-ctc-lead", "queue page, CTC lead, to qualify (bulk form)", "/queue/?queue=to_qualify"),
        ]
        clients = {}
        for username, label, url in pages:
            if username not in clients:
                clients[username] = Client()
                clients[username].force_login(User.objects.get(username=username))
            medians[label] = time_page(clients[username], label, url, args.rounds)
        worst = max(medians.values())
        verdict = "under" if worst < 300 else "OVER"
        print(f"slowest median {worst:.1f} ms: {verdict} the 300 ms target")
    finally:
        if not args.keep:
            drop_database(parts)


if __name__ == "__main__":
    main()
