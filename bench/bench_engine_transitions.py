"""Benchmark: 10,000 transitions fired one after another through ``engine.actions.do_fire_transition``.

    .venv/bin/python bench/bench_engine_transitions.py [--transitions 10000] [--cases 100]

With DATABASE_URL=postgres://... it creates a throwaway database ``gup_bench_engine`` on that server,
migrates it and drops it at the end (also on failure); without, it uses a throwaway SQLite file.

Each transition is a full engine action as a handler would fire it: role check against the case's role
holders, guard (role holder exists), the transition's actions (a notification outbox event), the
compare-and-set update of the case, the deadline rules (a deadline with three escalation points is
started when the case enters ``working`` and stopped when it leaves), the audit entry and the outbox
events, then the after-commit delivery to the registered consumers. Cases alternate between ``open`` and
``working``. Prints transitions per second and SQL queries per transition (the action, and
the delivery after commit, which includes the registered consumers' own queries).
ENGINE_OUTBOX_DISPATCH_ON_COMMIT=false leaves delivery to the worker and measures the action alone.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gup.settings")
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
os.environ.setdefault("LOG_LEVEL", "WARNING")

DB_NAME = os.environ.get("BENCH_DB_NAME", "gup_bench_engine")

PROCEDURE = """
procedure: bench-transitions
version: 1
title: Bench
roles: [requester, handler]
states:
  open: {initial: true}
  working: {}
  done: {final: true}
transitions:
  start:
    from: [open]
    to: working
    roles: [handler]
    guards: [{role_holder_exists: {role: handler}}]
    actions: [{notify: {role: requester, message: started}}]
    fields: {note: {type: text}}
  hold:
    from: [working]
    to: open
    roles: [handler]
  finish:
    from: [working]
    to: done
    roles: [handler]
deadlines:
  work:
    starts: {enter: working}
    stops: {leave: working}
    duration: "2 business_days"
    escalations:
      - {at: "-25%", actions: [{notify: {role: handler}}]}
      - {at: "0", actions: [{raise_alert: {to: handler}}]}
      - {at: "+100%", actions: [{notify: {role: requester}}]}
"""


def prepare_database():
    """Returns a cleanup function."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        admin_url = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))

        def run(sql):
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(sql)

        run(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        run(f'CREATE DATABASE "{DB_NAME}"')
        os.environ["DATABASE_URL"] = urlunsplit((parts.scheme, parts.netloc, f"/{DB_NAME}", "", ""))

        def cleanup():
            from django.db import connections

            connections.close_all()
            run(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')

        return cleanup
    directory = tempfile.mkdtemp(prefix="gup_bench_engine_")
    os.environ["DATABASE_URL"] = f"sqlite:///{directory}/bench.sqlite3"

    def cleanup():
        import shutil

        shutil.rmtree(directory, ignore_errors=True)

    return cleanup


class QueryCounter:
    """Counts the queries of the action itself and those of the delivery after commit apart."""

    def __init__(self):
        self.action = 0
        self.delivery = 0
        self.delivering = False

    def __call__(self, execute, sql, params, many, context):
        if self.delivering:
            self.delivery += 1
        else:
            self.action += 1
        return execute(sql, params, many, context)

    def wrap_delivery(self, function):
        def wrapped(*args, **kwargs):
            self.delivering = True
            try:
                return function(*args, **kwargs)
            finally:
                self.delivering = False

        return wrapped


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--transitions", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=100)
    args = parser.parse_args()
    cleanup = prepare_database()
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        call_command("migrate", verbosity=0)
        from directory.models import User
        from engine import registry
        from engine.actions import do_fire_transition, do_open_case, do_store_version
        from engine.models import AuditEntry, Case, OutboxEvent

        handler = User.objects.create(username="bench-handler")
        requester = User.objects.create(username="bench-requester")
        do_store_version(PROCEDURE, acting_user=None, publish=True)
        holders = {"handler": [f"user:{handler.pk}"], "requester": [f"user:{requester.pk}"]}
        cases = [
            Case.objects.select_related("version").get(
                pk=do_open_case("bench-transitions", acting_user=None, role_holders=holders).pk
            )
            for _ in range(args.cases)
        ]
        from engine.access import principal_keys

        principal_keys(handler)  # computed once per request in real use
        from engine import outbox

        counter = QueryCounter()
        outbox.dispatch_after_commit = counter.wrap_delivery(outbox.dispatch_after_commit)
        audit_before = AuditEntry.objects.count()
        started = time.perf_counter()
        with connection.execute_wrapper(counter):
            for index in range(args.transitions):
                case = cases[index % len(cases)]
                if case.state == "open":
                    do_fire_transition(case, "start", acting_user=handler, fields={"note": "go"})
                else:
                    do_fire_transition(case, "hold", acting_user=handler)
        elapsed = time.perf_counter() - started
        n = args.transitions
        total = counter.action + counter.delivery
        print(f"database: {connection.vendor}")
        print(f"outbox consumers registered: {', '.join(sorted(registry.CONSUMERS)) or 'none'}")
        print(f"transitions fired: {n} one after another on {len(cases)} cases in {elapsed:.2f} s")
        print(f"transitions per second: {n / elapsed:.0f}")
        print(
            f"queries per transition: {total / n:.2f} "
            f"({counter.action / n:.2f} for the action, "
            f"{counter.delivery / n:.2f} for the delivery after commit to the consumers)"
        )
        print(f"audit entries written: {AuditEntry.objects.count() - audit_before}")
        print(f"outbox events: {OutboxEvent.objects.count()}")
        assert AuditEntry.objects.count() - audit_before == n
    finally:
        cleanup()


if __name__ == "__main__":
    main()
