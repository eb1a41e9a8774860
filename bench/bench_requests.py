"""Benchmark of intervention requests on PostgreSQL: filing through the action layer, and the
duplicate-candidate lookup with 1,000,000 requests stored.

    .venv/bin/python bench/bench_requests.py [--requests 10000] [--stored 1000000]

It creates a throwaway database ``gup_bench_requests`` on the PostgreSQL server of DATABASE_URL
(default postgres://postgres@127.0.0.1:5432/postgres), migrates it, loads the demo territory and the
procedure (``load_demo``, ``setup_procedures``), and drops it at the end (also on failure).

1. Filing: N requests filed one by one, each as a commune's user would: the duplicate-candidate lookup
   shown before filing, then ``procedures.actions.do_file_request`` (validation, routing, reference,
   case with role holders, service-level deadlines on the business calendar, audit, outbox events
   delivered after commit to the notification consumers; emails go to Django's dummy backend). One
   request in ten is urgent, half of them without a criterion (the DVQ's urgency check is raised).
   No attachments. Prints requests per second and SQL queries per request.
2. Lookup: the table is filled up to M requests with COPY (points clustered around the town centres,
   filed over the last three years, most older ones closed), ANALYZEd, then 2,000 lookups at random
   points print p50 / p99 / max, with the query plan.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")

DB_NAME = os.environ.get("BENCH_DB_NAME", "gup_bench_requests")


def server_url():
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench_requests needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db")
    return parts


def admin_connection(parts):
    import psycopg

    url = urlunsplit((parts.scheme.replace("postgresql", "postgres"), parts.netloc, "/postgres", "", ""))
    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def create_database(parts):
    with admin_connection(parts) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "", ""))


def drop_database(parts):
    from django.db import connections

    connections.close_all()
    with admin_connection(parts) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


class QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def setup_data():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("migrate", verbosity=0)
    call_command("setup_procedures", stdout=out)
    call_command("load_demo", stdout=out)


def commune_samplers():
    """Per commune: its requester user and a function drawing a random point inside it."""
    from shapely.geometry import Point
    from shapely.prepared import prep

    from directory.models import Layer, Perimeter, RoleAssignment, User
    from directory.roles import Role

    samplers = []
    for perimeter in Perimeter.objects.filter(layer=Layer.COMMUNES).select_related("commune"):
        commune = perimeter.commune
        user, created = User.objects.get_or_create(
            username=f"bench-{commune.code}", defaults={"organisation": commune}
        )
        if created:
            RoleAssignment.objects.create(user=user, role=Role.REQUESTER)
        shape = perimeter.shape().buffer(-0.0005)  # keep off the borders
        prepared, bounds = prep(shape), shape.bounds

        def draw(rng, prepared=prepared, bounds=bounds):
            while True:
                lon, lat = rng.uniform(bounds[0], bounds[2]), rng.uniform(bounds[1], bounds[3])
                if prepared.contains(Point(lon, lat)):
                    return lon, lat

        samplers.append((user, draw))
    return samplers


def required_attributes(category):
    """Valid values for the category's required attributes, as a commune would fill them in."""
    values = {}
    for attribute in category.attributes.filter(required=True):
        values[attribute.code] = {
            "number": attribute.min_value if attribute.min_value is not None else 1,
            "single_choice": (attribute.choices or [""])[0],
            "multiple_choice": (attribute.choices or [])[:1],
            "datetime": "2026-01-05T08:30:00+01:00",
        }.get(attribute.type, "bench")
    return values


def bench_filing(count, rng):
    from django.db import connection

    from procedures.actions import do_file_request
    from procedures.duplicates import duplicate_candidates
    from procedures.models import Category, UrgencyCriterion

    categories = list(Category.objects.filter(is_active=True).select_related("group"))
    attributes = {category.pk: required_attributes(category) for category in categories}
    criteria = {}
    for criterion in UrgencyCriterion.objects.all():
        criteria.setdefault(criterion.category_id, []).append(criterion.code)
    samplers = commune_samplers()
    counter = QueryCounter()
    lookup_seconds = []
    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        for index in range(count):
            user, draw = samplers[index % len(samplers)]
            category = rng.choice(categories)
            lon, lat = draw(rng)
            urgent = rng.random() < 0.1
            ticked = criteria.get(category.pk, [])[:1] if urgent and rng.random() < 0.5 else []
            started = time.perf_counter()
            list(duplicate_candidates(category, lon, lat)[:10])
            lookup_seconds.append(time.perf_counter() - started)
            do_file_request(
                acting_user=user,
                category=category,
                description=f"Bench request {index}",
                lon=lon,
                lat=lat,
                urgency="urgent" if urgent else "normal",
                urgency_criteria=ticked,
                attributes=attributes[category.pk],
            )
    elapsed = time.perf_counter() - began
    print(f"filing: {count:,} requests in {elapsed:.1f} s = {count / elapsed:,.0f} requests/s")
    print(f"filing: {counter.count / count:.1f} SQL queries per request (candidate lookup included)")
    lookup_seconds.sort()
    p50 = lookup_seconds[len(lookup_seconds) // 2] * 1e3
    p99 = lookup_seconds[int(len(lookup_seconds) * 0.99)] * 1e3
    print(f"filing: candidate lookup while filing p50 {p50:.2f} ms, p99 {p99:.2f} ms")


def bench_side_by_side(count, rng, block=50):
    """A full filing (``do_file_request`` alone) against a bare ORM create of the same two rows (the case
    and its request, in one transaction), in alternating blocks of ``block`` in the same run, so that
    the machine's load weighs on both alike."""
    from django.db import transaction

    from directory import geo
    from engine.models import Case, Procedure
    from procedures.actions import do_file_request
    from procedures.models import Category, InterventionRequest

    categories = [
        c for c in Category.objects.filter(is_active=True) if not c.attributes.filter(required=True)
    ]
    samplers = commune_samplers()
    version = Procedure.objects.get(code="intervention-request").latest_published()
    first_state = next(iter(version.definition["states"]))
    filing_seconds = bare_seconds = 0.0
    for start in range(0, count, block):
        size = min(block, count - start)
        jobs = []
        for index in range(start, start + size):
            user, draw = samplers[index % len(samplers)]
            jobs.append((user, rng.choice(categories), *draw(rng), index))
        began = time.perf_counter()
        for user, category, lon, lat, index in jobs:
            do_file_request(
                acting_user=user, category=category, description=f"Side {index}", lon=lon, lat=lat
            )
        filing_seconds += time.perf_counter() - began
        began = time.perf_counter()
        for user, category, lon, lat, index in jobs:
            x, y = geo.point_lambert93(lon, lat)
            with transaction.atomic():
                case = Case.objects.create(
                    procedure_id=version.procedure_id,
                    version=version,
                    state=first_state,
                    phase="open",
                    reference=f"BARE-{index:07d}",
                )
                InterventionRequest.objects.create(
                    reference=case.reference,
                    case=case,
                    category=category,
                    category_group_id=category.group_id,
                    description=f"Side {index}",
                    lon=lon,
                    lat=lat,
                    x_l93=x,
                    y_l93=y,
                    commune=user.organisation,
                    requester_organisation=user.organisation,
                    routing_explanation="bare",
                )
        bare_seconds += time.perf_counter() - began
    filing_rate, bare_rate = count / filing_seconds, count / bare_seconds
    print(
        f"side by side: full filing {filing_rate:,.0f}/s, bare ORM create of the same two rows "
        f"{bare_rate:,.0f}/s: filing = {100 * filing_rate / bare_rate:.1f} % of the bare create "
        f"({count:,} each, alternating blocks of {block})"
    )


def bulk_fill(target, rng):
    import numpy as np
    from django.db import connection
    from django.utils import timezone

    from directory import geo
    from directory.demo import COMMUNES
    from directory.models import Organisation
    from procedures.models import Category, InterventionRequest

    existing = InterventionRequest.objects.count()
    missing = target - existing
    if missing <= 0:
        return existing
    categories = list(Category.objects.values_list("pk", "group_id"))
    communes = {o.code: o.pk for o in Organisation.objects.filter(code__in=[c[2] for c in COMMUNES])}
    centres = [(communes[code], lon, lat) for _insee, _name, code, lon, lat in COMMUNES if code in communes]
    nprng = np.random.default_rng(rng.randrange(2**32))
    which = nprng.integers(0, len(centres), missing)
    centre_lon = np.array([centres[i][1] for i in which])
    centre_lat = np.array([centres[i][2] for i in which])
    lon = centre_lon + nprng.normal(0, 700, missing) / 73_000.0  # ~700 m around the town centres
    lat = centre_lat + nprng.normal(0, 700, missing) / 111_200.0
    x, y = geo._transformer(geo.WGS84, geo.LAMBERT93).transform(lon, lat)
    now = timezone.now()
    ages = nprng.uniform(0, 3 * 365 * 86400, missing)
    category_index = nprng.integers(0, len(categories), missing)
    columns = (
        "reference", "category_id", "category_group_id", "description", "lon", "lat", "x_l93", "y_l93",
        "address", "commune_id", "in_qpv", "urgency", "urgency_requested", "attributes",
        "requester_organisation_id", "routing_explanation", "to_qualify", "resolution_note", "created_at",
        "updated_at", "closed_at", "search_text",
    )  # fmt: skip
    began = time.perf_counter()
    with connection.cursor() as cursor:
        sql = f"COPY procedures_interventionrequest ({', '.join(columns)}) FROM STDIN"
        with cursor.connection.cursor().copy(sql) as copy:
            for i in range(missing):
                category_id, group_id = categories[category_index[i]]
                commune_id = centres[which[i]][0]
                created = now - timedelta(seconds=float(ages[i]))
                closed = created + timedelta(days=20) if ages[i] > 60 * 86400 or i % 2 else None
                copy.write_row(
                    (
                        f"BULK-{i:09d}", category_id, group_id, "bulk", float(lon[i]), float(lat[i]),
                        float(x[i]), float(y[i]), "", commune_id, False, "normal", "normal", "{}", commune_id,
                        "", False, "", created, created, closed, "bulk",
                    )
                )  # fmt: skip
        cursor.execute("ANALYZE procedures_interventionrequest")
    print(f"lookup: {missing:,} requests bulk-inserted with COPY in {time.perf_counter() - began:.1f} s")
    return InterventionRequest.objects.count()


def bench_lookup(rng, lookups=2000):
    from django.db import connection

    from directory.demo import COMMUNES
    from procedures.duplicates import duplicate_candidates
    from procedures.models import Category

    categories = list(Category.objects.select_related("group"))
    timings, found = [], 0
    for _ in range(lookups):
        _insee, _name, _code, lon, lat = rng.choice(COMMUNES)
        lon += rng.gauss(0, 700) / 73_000.0
        lat += rng.gauss(0, 700) / 111_200.0
        category = rng.choice(categories)
        started = time.perf_counter()
        found += len(list(duplicate_candidates(category, lon, lat)[:10]))
        timings.append(time.perf_counter() - started)
    timings.sort()
    p50, p99, worst = statistics.median(timings) * 1e3, timings[int(lookups * 0.99)] * 1e3, timings[-1] * 1e3
    print(
        f"lookup: {lookups:,} lookups: p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {worst:.2f} ms, "
        f"mean {found / lookups:.2f} candidates"
    )
    category = categories[0]
    query = duplicate_candidates(category, COMMUNES[0][3], COMMUNES[0][4])[:10]
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print("lookup: plan of one lookup:")
        for (line,) in cursor.fetchall():
            print("   ", line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--stored", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261126)
    args = parser.parse_args()
    parts = server_url()
    create_database(parts)
    try:
        import django

        django.setup()
        rng = random.Random(args.seed)
        setup_data()
        bench_filing(args.requests, rng)
        bench_side_by_side(min(args.requests, 1000), rng)
        total = bulk_fill(args.stored, rng)
        print(f"lookup: {total:,} requests stored")
        bench_lookup(rng)
    finally:
        drop_database(parts)


if __name__ == "__main__":
    main()
