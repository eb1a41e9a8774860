"""Benchmark of the observation on PostgreSQL with 1,000,000 requests: the annual review of one commune
(its figures and charts, ``observation.actions.reviews.compute``) and the Observation page's figures.

    .venv/bin/python bench/bench_observation.py [--requests 1000000] [--repeat 7]

It creates a throwaway database ``gup_h14_bench`` on the PostgreSQL server of DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, publishes the procedure, creates a small
territory (8 communes, 4 CTCs, a landlord, 12 categories) and fills, with set-based SQL
(``generate_series``), N cases and requests over three years, their acknowledge and resolve deadlines
(target, time taken and paused; one in five late), an audit entry for the reopened and redirected ones,
the monthly backlog snapshots and the monthly aggregates (the worker's first run of
``refresh_monthly_figures``: every month). ANALYZE, then it times (median of ``--repeat`` runs, after one
warm-up):

1. the annual review of one commune for the last full year: figures (read from the monthly aggregates)
   and the four SVG charts, as ``manage.py annual_review --commune`` computes them (target <= 2 s),
   with the cache emptied before each run (figures computed, every chart drawn), then with it kept;
2. the Observation page of an administrator for that year (all communes): its figures computed (the
   cache emptied before each run), then the whole view through the test client (target <= 300 ms
   median; figures and charts come from the cache after the warm-up, as for anyone opening the page
   again while the aggregates have not changed), and its first showing (the cache emptied);
3. one incremental refresh of the aggregates after one request of the last month changed.
The database is dropped at the end (also on failure).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

DB_NAME = "gup_h14_bench"


def server_url():
    base = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/postgres"
    parts = urlsplit(base)
    if not parts.scheme.startswith("postgres"):
        sys.exit("bench_observation needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/db")
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


def territory():
    from directory.models import Organisation, OrganisationKind, Unit, UnitKind, User
    from directory.roles import Role
    from procedures.models import Category, CategoryGroup

    cu = Organisation.objects.create(code="cu", name="CU (bench)", kind=OrganisationKind.CU)
    communes = [
        Organisation.objects.create(
            code=f"c{n}", name=f"Commune {n} (bench)", kind="commune", insee=f"7800{n}"
        )
        for n in range(1, 9)
    ]
    landlord = Organisation.objects.create(code="landlord", name="Bailleur (bench)", kind="landlord")
    units = [
        Unit.objects.create(organisation=cu, code=f"ctc{n}", name=f"CTC {n}", kind=UnitKind.CTC)
        for n in range(4)
    ]
    units.append(
        Unit.objects.create(organisation=landlord, code="agency", name="Agence", kind=UnitKind.AGENCY)
    )
    groups = [CategoryGroup.objects.create(code=f"g{n}", name=f"Famille {n}") for n in range(3)]
    categories = [
        Category.objects.create(code=f"k{n}", name=f"Catégorie {n}", group=groups[n % 3]) for n in range(12)
    ]
    admin = User.objects.create(username="bench-admin", organisation=cu, is_staff=True, is_superuser=True)
    admin.role_assignments.create(role=Role.ADMINISTRATOR)
    return cu, communes, landlord, units, categories, admin


FILL = """
WITH ids AS (SELECT g AS n FROM generate_series(1, %(n)s) AS g),
cases AS (
  INSERT INTO engine_case (procedure_id, version_id, state, phase, revision, data, reference,
       created_at, updated_at)
  SELECT %(procedure)s, %(version)s,
         CASE WHEN n %% 10 = 0 THEN 'qualified' WHEN n %% 23 = 0 THEN 'rejected' WHEN n %% 29 = 0 THEN
       'duplicate'
              ELSE 'closed' END,
         'open', 1, '{}'::jsonb, 'B-' || n,
         %(start)s::timestamptz + (n::float / %(n)s) * (%(end)s::timestamptz - %(start)s::timestamptz),
         now()
  FROM ids RETURNING id, created_at
)
INSERT INTO procedures_interventionrequest (
  reference, case_id, category_id, category_group_id, description, lon, lat, x_l93, y_l93, address,
       commune_id,
  in_qpv, urgency, urgency_requested, urgency_justified, attributes, requester_organisation_id,
  handler_organisation_id, handler_unit_id, routing_explanation, to_qualify, resolution_note, created_at,
  updated_at, resolved_at, closed_at, search_text)
SELECT 'DI-B-' || c.id, c.id, k.id, k.group_id, 'bench', 1.9 + (c.id %% 97) / 1000.0,
       48.99 + (c.id %% 89) / 1000.0,
       615000 + (c.id %% 97) * 73.0, 6875000 + (c.id %% 89) * 111.0, '', cm.id, c.id %% 4 = 0,
       CASE WHEN c.id %% 11 = 0 THEN 'urgent' ELSE 'normal' END,
       CASE WHEN c.id %% 11 = 0 THEN 'urgent' ELSE 'normal' END,
       CASE WHEN c.id %% 11 = 0 THEN c.id %% 3 <> 0 END, '{}'::jsonb, cm.id,
       u.organisation_id, u.id, '', false, '', c.created_at, c.created_at,
       CASE WHEN c.id %% 10 <> 0 THEN c.created_at + interval '5 days' END,
       CASE WHEN c.id %% 10 <> 0 THEN c.created_at + interval '8 days' END, 'bench'
FROM cases c
JOIN LATERAL (SELECT id, group_id FROM procedures_category ORDER BY id OFFSET (c.id %% 12) LIMIT 1) k ON true
JOIN LATERAL (SELECT id FROM directory_organisation WHERE kind = 'commune' ORDER BY id OFFSET (c.id %%
       8) LIMIT 1) cm ON true
JOIN LATERAL (SELECT id, organisation_id FROM directory_unit ORDER BY id OFFSET (c.id %% 5) LIMIT 1) u ON true
"""

DEADLINES = """
INSERT INTO engine_deadline (case_id, kind, state, calendar_code, business, duration_seconds, elapsed_seconds,
  started_at, resumed_at, due_at, stopped_at, target_seconds, taken_seconds, waited_seconds)
SELECT r.case_id, kd.kind, CASE WHEN r.case_id %% 5 = 0 THEN 'breached' ELSE 'met' END, 'default', true,
       kd.target, 0, r.created_at, NULL, r.created_at + interval '3 days', r.created_at + interval '2 days',
       kd.target,
       CASE WHEN r.case_id %% 5 = 0 THEN kd.target + 3600 * (r.case_id %% 13) ELSE (kd.target *
       (r.case_id %% 17)) / 17 END,
       CASE WHEN r.case_id %% 7 = 0 THEN 3600 * (r.case_id %% 9) ELSE 0 END
FROM procedures_interventionrequest r
CROSS JOIN (VALUES ('acknowledge', 16 * 3600), ('resolve', 80 * 3600)) AS kd(kind, target)
WHERE r.resolved_at IS NOT NULL OR kd.kind = 'acknowledge'
"""

AUDIT = """
INSERT INTO engine_auditentry (case_id, at, event, from_state, to_state, fields, reason, data)
SELECT r.case_id, r.created_at + interval '6 days', 'transition',
       CASE WHEN r.case_id %% 2 = 0 THEN 'done' ELSE 'submitted' END,
       CASE WHEN r.case_id %% 2 = 0 THEN 'qualified' ELSE 'redirected' END, '{}'::jsonb, '', '{}'::jsonb
FROM procedures_interventionrequest r WHERE r.case_id %% 31 = 0
"""


def fill(count):
    import datetime

    from django.db import connection
    from django.utils import timezone

    from engine.models import ProcedureVersion

    version = (
        ProcedureVersion.objects.filter(procedure__code="intervention-request").order_by("-number").first()
    )
    today = timezone.localdate()
    end = datetime.datetime(today.year, 1, 1, tzinfo=datetime.UTC)
    start = end.replace(year=end.year - 3)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            FILL,
            {
                "n": count,
                "procedure": version.procedure_id,
                "version": version.pk,
                "start": start,
                "end": end,
            },
        )
        cursor.execute("UPDATE engine_case SET phase = 'closed', closed_at = created_at + interval '8 days' "
                       "WHERE state <> 'qualified'")  # fmt: skip
        cursor.execute(DEADLINES, {})  # (a mapping of parameters: "%%" reads as "%")
        cursor.execute(AUDIT, {})
        cursor.execute("ANALYZE")
    print(
        f"fill: {count:,} requests, their cases, deadlines and audit entries "
        f"in {time.perf_counter() - began:.0f} s"
    )
    return end.year - 1


def snapshots(year):
    import datetime

    from observation.actions import do_take_backlog_snapshot

    began = time.perf_counter()
    for month in range(1, 13):
        do_take_backlog_snapshot(datetime.date(year, month, 1), acting_user=None)
    print(f"snapshots: the 12 months of {year} in {time.perf_counter() - began:.1f} s")


def aggregates():
    from observation.actions import do_refresh_monthly_figures

    began = time.perf_counter()
    months = do_refresh_monthly_figures(acting_user=None)
    print(
        f"monthly aggregates: {len(months)} months in {time.perf_counter() - began:.1f} s"
        " (the worker's first run)"
    )


def incremental():
    from django.db import connection

    from engine.models import AuditEntry
    from observation.actions import do_refresh_monthly_figures
    from procedures.models import InterventionRequest

    last = InterventionRequest.objects.order_by("-created_at").values_list("case_id", flat=True).first()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE procedures_interventionrequest SET resolved_at = NULL WHERE case_id = %s", [last]
        )
    AuditEntry.objects.create(case_id=last, event="transition", from_state="done", to_state="qualified")
    began = time.perf_counter()
    months = do_refresh_monthly_figures(acting_user=None, force=True)
    print(f"incremental refresh after one change: {len(months)} month in {time.perf_counter() - began:.2f} s")


def print_slowest(function, top=8):
    from django.db import connection

    seen = []

    def wrapper(execute, sql, params, many, context):
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((time.perf_counter() - began, sql))

    with connection.execute_wrapper(wrapper):
        function()
    print(f"{len(seen)} queries, {sum(t for t, _sql in seen) * 1e3:.0f} ms in the database")
    for seconds, sql in sorted(seen, reverse=True)[:top]:
        print(f"  {seconds * 1e3:7.1f} ms  {sql[:300]}")


def timed(function, repeat):
    function()  # warm-up (caches, first plans)
    runs = []
    for _index in range(repeat):
        began = time.perf_counter()
        function()
        runs.append(time.perf_counter() - began)
    return statistics.median(runs), max(runs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--slowest", action="store_true", help="Print the slowest queries of one page.")
    args = parser.parse_args()
    parts = server_url()
    create_database(parts)
    try:
        import django

        django.setup()
        from io import StringIO

        from django.core.management import call_command
        from django.test import Client

        from observation import dashboard
        from observation.actions.reviews import compute, year_filters

        call_command("migrate", verbosity=0)
        call_command("setup_procedures", stdout=StringIO())
        _cu, communes, _landlord, _units, _categories, admin = territory()
        from django.core.cache import cache

        year = fill(args.requests)
        snapshots(year)
        aggregates()
        commune = communes[0]

        def cold_review():
            cache.clear()
            compute(year, commune)

        median, worst = timed(cold_review, args.repeat)
        print(
            f"annual review of one commune ({year}), every chart drawn: "
            f"median {median * 1e3:.0f} ms, max {worst * 1e3:.0f} ms"
        )
        median, worst = timed(lambda: compute(year, commune), args.repeat)
        print(
            f"annual review of one commune ({year}), figures and charts from the cache: "
            f"median {median * 1e3:.0f} ms, max {worst * 1e3:.0f} ms"
        )

        def figures_only():
            cache.clear()
            dashboard.build(admin, year_filters(year, None), with_charts=False)

        median, worst = timed(figures_only, args.repeat)
        print(
            f"Observation figures, all communes, {year}, computed (cache emptied): "
            f"median {median * 1e3:.0f} ms, max {worst * 1e3:.0f} ms"
        )
        client = Client()
        client.force_login(admin)
        url = f"/observation/?since={year}-01-01&until={year}-12-31"

        def page():
            response = client.get(url)
            assert response.status_code == 200, response.status_code

        if args.slowest:
            cache.clear()
            print_slowest(page)
        median, worst = timed(page, args.repeat)
        print(
            f"Observation page (view, figures and charts from the cache): "
            f"median {median * 1e3:.0f} ms, max {worst * 1e3:.0f} ms"
        )

        def first_page():
            cache.clear()
            page()

        median, worst = timed(first_page, args.repeat)
        print(
            f"Observation page, first showing (cache emptied: figures computed, every chart drawn): "
            f"median {median * 1e3:.0f} ms, max {worst * 1e3:.0f} ms"
        )
        incremental()
        print(f"load average: {os.getloadavg()}")
    finally:
        drop_database(parts)


if __name__ == "__main__":
    main()
