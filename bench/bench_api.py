"""Benchmark of the REST API behind the production server of the README (gunicorn) on PostgreSQL.

    .venv/bin/pip install -e ".[bench]"      # gunicorn
    .venv/bin/python bench/bench_api.py [--stored 100000] [--posts 300] [--reads 300] [--clients 4]

It creates a throwaway database ``gup_bench_api`` on the PostgreSQL server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, loads the demo territory and the procedure,
fills it with --stored requests (each with its case; rows written in bulk, spread over the demo's
communes and categories, over the last two years, three quarters of the older ones closed), ANALYZEs,
then starts gunicorn as the README says (BENCH_WORKERS sync workers, default 4, --preload) on 127.0.0.1
(a free port) with ``manage.py run_worker`` beside it, and measures over HTTP:

1. ``POST /api/v1/requests/`` as the demo commune's user (token auth; validation, routing, deadlines,
   audit, outbox all run): requests per second with --clients concurrent clients;
2. a filtered list page ``GET /api/v1/requests/?state=...&category=...&ordering=-created_at`` (50 per
   page) as the commune (scope: its own commune) and as the administrator (everything): p50 / p95.

Write throttling is turned off for the run (API_WRITE_THROTTLE_RATE empty). The server and the database
are stopped and dropped at the end, also on failure.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["API_WRITE_THROTTLE_RATE"] = ""

DB_NAME = os.environ.get("BENCH_DB_NAME", "gup_bench_api")


def server_parts():
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench_api needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db")
    return parts


def admin_execute(parts, sql):
    import psycopg

    url = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup(stored, rng):
    import django

    django.setup()
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("migrate", verbosity=0)
    call_command("setup_procedures", stdout=out)
    call_command("load_demo", stdout=out)
    fill(stored, rng)


def fill(stored, rng):
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone
    from shapely.geometry import Point
    from shapely.prepared import prep

    from directory import geo
    from directory.models import Layer, Perimeter, Unit, UnitKind
    from engine.models import Case, Procedure
    from procedures.models import Category, InterventionRequest

    procedure = Procedure.objects.get(code="intervention-request")
    version = procedure.latest_published()
    states = list(version.definition["states"])
    finals = [s for s, spec in version.definition["states"].items() if spec.get("final")]
    opens = [s for s in states if s not in finals]
    categories = list(Category.objects.filter(is_active=True))
    communes = []
    for perimeter in Perimeter.objects.filter(layer=Layer.COMMUNES).select_related("commune"):
        shape = perimeter.shape().buffer(-0.0005)
        ctc = Unit.objects.filter(kind=UnitKind.CTC, territory=perimeter.commune).first()
        communes.append((perimeter.commune, prep(shape), shape.bounds, ctc))
    now = timezone.now()
    batch = 5000
    made = 0
    while made < stored:
        size = min(batch, stored - made)
        cases, rows = [], []
        for index in range(size):
            commune, prepared, bounds, ctc = communes[(made + index) % len(communes)]
            while True:
                lon, lat = rng.uniform(bounds[0], bounds[2]), rng.uniform(bounds[1], bounds[3])
                if prepared.contains(Point(lon, lat)):
                    break
            created = now - timedelta(seconds=rng.uniform(0, 2 * 365 * 86400))
            old = (now - created).days > 60
            state = rng.choice(finals) if old and rng.random() < 0.75 else rng.choice(opens)
            phase = "closed" if state in finals else ("waiting" if state == "waiting" else "open")
            number = made + index + 1
            reference = f"DI-BENCH-{number:07d}"
            cases.append(
                Case(
                    procedure=procedure,
                    version=version,
                    state=state,
                    phase=phase,
                    reference=reference,
                    created_at=created,
                    updated_at=created,
                    closed_at=created if phase == "closed" else None,
                )
            )
            category = rng.choice(categories)
            x, y = geo.point_lambert93(lon, lat)
            rows.append(
                InterventionRequest(
                    reference=reference,
                    category=category,
                    category_group_id=category.group_id,
                    description=f"Bench request {number}",
                    lon=lon,
                    lat=lat,
                    x_l93=x,
                    y_l93=y,
                    commune=commune,
                    requester_organisation=commune,
                    dispatcher_unit=ctc,
                    handler_unit=ctc,
                    handler_organisation=ctc.organisation if ctc else None,
                    routing_explanation="bench",
                    created_at=created,
                    closed_at=created if phase == "closed" else None,
                )
            )
        with transaction.atomic():
            Case.objects.bulk_create(cases)
            for case, row in zip(cases, rows, strict=True):
                row.case = case
            InterventionRequest.objects.bulk_create(rows)
            # updated_at is auto_now: put it back to the filing time, as on real data.
            InterventionRequest.objects.filter(case__in=cases).update(updated_at=models_f("created_at"))
        made += size
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"data: {stored:,} requests with their cases")


def models_f(name):
    from django.db.models import F

    return F(name)


def token_for(username):
    from api.models import ApiToken
    from directory.models import User

    return ApiToken.objects.create_for(User.objects.get(username=username), "bench")[1]


def start_server(port):
    command = [
        str(Path(sys.executable).parent / "gunicorn"),  # the production command of the README
        "--workers",
        os.environ.get("BENCH_WORKERS", "4"),
        "--preload",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "gup.wsgi:application",
    ]
    env = dict(os.environ, DEBUG="false", DB_CONN_MAX_AGE="60")
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    # the worker delivering the outbox (notifications, webhooks), as in production
    server.worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180  # a loaded machine starts it slowly
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/schema/", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def call(url, token, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url,
        data=data,
        method="POST" if body is not None else "GET",
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status


def bench_posts(base, token, count, clients, rng):
    from shapely.geometry import Point
    from shapely.prepared import prep

    from directory.models import Layer, Perimeter, User
    from procedures.models import Category

    commune = User.objects.get(username="demo-commune").organisation
    perimeter = Perimeter.objects.get(layer=Layer.COMMUNES, commune=commune)
    shape = perimeter.shape().buffer(-0.0005)
    prepared, bounds = prep(shape), shape.bounds
    codes = [
        c.code for c in Category.objects.filter(is_active=True) if not c.attributes.filter(required=True)
    ]
    bodies = []
    for index in range(count):
        while True:
            lon, lat = rng.uniform(bounds[0], bounds[2]), rng.uniform(bounds[1], bounds[3])
            if prepared.contains(Point(lon, lat)):
                break
        bodies.append(
            {"category": rng.choice(codes), "description": f"Bench {index}", "lon": lon, "lat": lat}
        )
    statuses, lock = [], threading.Lock()

    def worker(part):
        for body in part:
            status = call(f"{base}/api/v1/requests/", token, body)
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=worker, args=(bodies[i::clients],)) for i in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    created = statuses.count(201)
    print(
        f"POST /api/v1/requests/: {created:,}/{count:,} created in {elapsed:.1f} s with {clients} clients "
        f"= {created / elapsed:,.1f} requests/s"
    )


def delivery_latency(since, wait_seconds=60):
    """How long after its commit the worker delivered each outbox event of the POSTs (median, p95)."""
    from django.db import connections

    from engine.models import OutboxEvent

    connections.close_all()
    deadline = time.monotonic() + wait_seconds
    while OutboxEvent.objects.filter(delivered_at=None, created_at__gte=since).exists() and (
        time.monotonic() < deadline
    ):
        time.sleep(0.5)
    posted = OutboxEvent.objects.filter(created_at__gte=since)  # not the demo's back-dated history
    rows = posted.exclude(delivered_at=None).values_list("created_at", "delivered_at")
    lags = sorted((delivered - created).total_seconds() for created, delivered in rows)
    waiting = posted.filter(delivered_at=None).count()
    if not lags:
        print(f"outbox: nothing delivered ({waiting} waiting)")
        return
    p95 = lags[max(int(len(lags) * 0.95) - 1, 0)]
    print(
        f"outbox: {len(lags):,} events delivered by the worker, {statistics.median(lags):.2f} s after "
        f"their commit at the median, p95 {p95:.2f} s ({waiting} still waiting)"
    )


def bench_list(base, token, label, query, count):
    call(f"{base}/api/v1/requests/{query}", token)  # warm
    timings = []
    for _ in range(count):
        began = time.perf_counter()
        call(f"{base}/api/v1/requests/{query}", token)
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(len(timings) * 0.95) - 1]
    print(f"GET list ({label}) {query}: p50 {p50:.1f} ms, p95 {p95:.1f} ms over {count} calls")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stored", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=300)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    parts = server_parts()
    rng = random.Random(20260301)
    admin_execute(parts, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_execute(parts, f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "", ""))
    server = None
    try:
        began = time.perf_counter()
        setup(args.stored, rng)
        print(f"setup: {time.perf_counter() - began:.0f} s")
        commune_token, admin_token = token_for("demo-commune"), token_for("demo-admin")
        from django.db import connections

        connections.close_all()
        port = free_port()
        server = start_server(port)
        base = f"http://127.0.0.1:{port}"
        from django.utils import timezone

        posted_from = timezone.now()
        bench_posts(base, commune_token, args.posts, args.clients, rng)
        delivery_latency(posted_from)
        from procedures.models import Category

        code = Category.objects.filter(is_active=True).order_by("code").first().code
        connections.close_all()
        query = f"?state=submitted,acknowledged,qualified&category={code}&ordering=-created_at"
        bench_list(base, commune_token, "commune", query, args.reads)
        bench_list(base, admin_token, "administrator", query, args.reads)
        bench_list(base, admin_token, "administrator, unfiltered", "?ordering=-created_at", args.reads)
    finally:
        if server is not None:
            for process in (server, getattr(server, "worker", None)):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
        from django.db import connections

        connections.close_all()
        admin_execute(parts, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
