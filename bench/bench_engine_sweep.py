"""Benchmark of the sweeper on PostgreSQL: 1,000,000 open escalation points of which 100,000 are due.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/bench_engine_sweep.py
        [--cases 100000] [--batch 5000] [--sweepers 1]

It creates a throwaway database ``gup_bench_engine`` on the PostgreSQL server of DATABASE_URL, migrates
it, bulk-loads the data with COPY, and drops it at the end (also on failure).

Data: a published procedure whose deadline has ten escalation points, each notifying a role; N cases
(100,000) each with a running deadline and its ten points (1,000,000 open points). For every case the
first point is due (100,000 due points), the nine others are in the future.

1. Fire all due points: ``engine.sweeper.sweep()`` until none is due. Each point is claimed with a
   compare-and-set update and its action runs (a notification outbox event) with an audit entry per
   point, in batches, each batch one transaction. Checks that every due point fired exactly once.
2. A sweep with none due: the time of ``sweep()``, and EXPLAIN (ANALYZE) of its lookup, which must be an
   index scan on the partial index of unfired points, not a scan of the table.
"""

import argparse
import io
import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

DB_NAME = os.environ.get("BENCH_DB_NAME", "gup_bench_engine")
POINTS = 10

PROCEDURE = """
procedure: bench-sweep
version: 1
title: Bench
roles: [handler, supervisor]
states:
  open: {initial: true}
  done: {final: true}
transitions:
  finish: {from: [open], to: done, roles: [handler]}
deadlines:
  work:
    starts: {enter: open}
    stops: {leave: open}
    duration: "100 business_hours"
    escalations:
""" + "".join(
    f'      - {{at: "{-90 + 10 * i}%", actions: [{{notify: {{role: supervisor, message: point{i}}}}}]}}\n'
    for i in range(POINTS)
)


def admin_run(parts, sql):
    import psycopg

    url = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def copy_rows(cursor, table, columns, rows):
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if value is None else str(value) for value in row) + "\n")
    buffer.seek(0)
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        while chunk := buffer.read(1 << 20):
            copy.write(chunk)


def load(cases_count):
    from django.db import connection, transaction
    from django.utils import timezone

    from engine.actions import do_store_version
    from engine.models import Case, Deadline, EscalationPoint

    version = do_store_version(PROCEDURE, acting_user=None, publish=True)
    now = timezone.now()
    past, future = now - timedelta(hours=1), now + timedelta(days=30)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(
            raw,
            Case._meta.db_table,
            [
                "procedure_id",
                "version_id",
                "state",
                "phase",
                "revision",
                "data",
                "reference",
                "created_at",
                "updated_at",
            ],
            (
                (version.procedure_id, version.pk, "open", "open", 1, "{}", "", now, now)
                for _ in range(cases_count)
            ),
        )
        cursor.execute(f"SELECT min(id), max(id) FROM {Case._meta.db_table}")
        first_case, last_case = cursor.fetchone()
        assert last_case - first_case + 1 == cases_count
        copy_rows(
            raw,
            "engine_roleholder",
            ["case_id", "role", "party", "assigned_at"],
            (
                (case_id, "supervisor", f"user:{case_id % 50 + 1}", now)
                for case_id in range(first_case, last_case + 1)
            ),
        )
        copy_rows(
            raw,
            Deadline._meta.db_table,
            [
                "case_id",
                "kind",
                "state",
                "calendar_code",
                "business",
                "duration_seconds",
                "elapsed_seconds",
                "started_at",
                "resumed_at",
                "due_at",
            ],
            (
                (case_id, "work", "running", "default", True, 360000, 0, now, now, future)
                for case_id in range(first_case, last_case + 1)
            ),
        )
        cursor.execute(f"SELECT min(id) FROM {Deadline._meta.db_table}")
        first_deadline = cursor.fetchone()[0]
        copy_rows(
            raw,
            EscalationPoint._meta.db_table,
            ["deadline_id", "case_id", "index", "offset_seconds", "fire_at", "error"],
            (
                (first_deadline + n, first_case + n, i, 36000 * (i + 1), past if i == 0 else future, "")
                for n in range(cases_count)
                for i in range(POINTS)
            ),
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE engine_escalationpoint")
        cursor.execute("ANALYZE")
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--sweepers", type=int, default=1, help="sweepers running at once (threads)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the sweep to FILE")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench_engine_sweep needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db")
    admin_run(parts, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    admin_run(parts, f'CREATE DATABASE "{DB_NAME}"')
    os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "", ""))
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        from engine import sweeper
        from engine.models import AuditEntry, EscalationPoint, OutboxEvent

        load_seconds = load(args.cases)
        total_points = EscalationPoint.objects.count()
        due = sweeper.due_points(timezone.now()).count()
        print(f"database: {connection.vendor} {connection.pg_version}")
        print(
            f"loaded {total_points:,} open escalation points on {args.cases:,} cases ({due:,} due) "
            f"in {load_seconds:.1f} s"
        )

        started, cpu_started = time.perf_counter(), time.process_time()
        if args.sweepers == 1:
            profile = None
            if args.profile:
                import cProfile

                profile = cProfile.Profile()
                profile.enable()
            fired = sweeper.sweep(batch=args.batch)
            if profile is not None:
                profile.disable()
                profile.dump_stats(args.profile)
        else:  # several sweepers at once (threads, each with its own connection), as several workers would
            from concurrent.futures import ThreadPoolExecutor

            def one_sweeper():
                try:
                    return sweeper.sweep(batch=args.batch)
                finally:
                    connection.close()

            with ThreadPoolExecutor(args.sweepers) as pool:
                counts = list(pool.map(lambda _: one_sweeper(), range(args.sweepers)))
            fired = sum(counts)
            print(f"{args.sweepers} sweepers at once fired {', '.join(f'{n:,}' for n in counts)} points")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(
            f"fired {fired:,} due points in {elapsed:.2f} s ({fired / elapsed:,.0f} points/s, "
            f"batch {args.batch}; "
            f"{cpu:.2f} s of CPU in the Python process; load average {os.getloadavg()[0]:.1f} "
            f"on {os.cpu_count()} cores)"
        )
        fired_rows = EscalationPoint.objects.exclude(fired_at=None).count()
        audits = AuditEntry.objects.filter(event="escalation").count()
        notifications = OutboxEvent.objects.filter(kind="notification").count()
        duplicates = (
            AuditEntry.objects.filter(event="escalation")
            .values("data__point")
            .annotate(n=django.db.models.Count("id"))
            .filter(n__gt=1)
            .count()
        )
        print(
            f"exactly once: {fired_rows:,} points marked fired, {audits:,} escalation audit entries, "
            f"{notifications:,} notification events, {duplicates} point(s) fired twice"
        )
        assert fired == due == fired_rows == audits == notifications and duplicates == 0

        connections.close_all()
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            assert sweeper.sweep() == 0
            timings.append(time.perf_counter() - started)
        print(
            f"sweep with none due (of {total_points - fired:,} open points): "
            f"best {min(timings) * 1000:.2f} ms, "
            f"worst {max(timings) * 1000:.2f} ms over 5 runs"
        )
        sql, params = (
            sweeper.due_points(timezone.now())
            .order_by("fire_at")
            .values_list("pk", flat=True)[:5000]
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("EXPLAIN ANALYZE of the sweeper's lookup:")
            for (line,) in cursor.fetchall():
                print("   ", line)
    finally:
        from django.db import connections

        connections.close_all()
        admin_run(parts, f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


if __name__ == "__main__":
    main()
