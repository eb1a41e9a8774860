"""Benchmark of accounts: the per-request cost of a signed-in session, and the retention job.

    .venv/bin/python bench/bench_accounts.py [--requests 10000] [--rounds 200]

Database: with DATABASE_URL=postgres://..., a throwaway database ``gup_bench_accounts`` is created on that
server and dropped at the end; without it, a temporary SQLite file (bench_web.py's helpers).

1. Session: what every signed-in page pays before its view runs, with the project's middleware
   (database sessions, IdleSessionMiddleware): the session row read and the user loaded (measured on
   their own, SessionStore.load + auth.get_user), and the write when the idle expiry is pushed back
   (at most every SESSION_REFRESH_SECONDS); then a light signed-in page (/notifications/) through the
   test client, with its SQL statements on the session table, on an ordinary request and on one where
   the refresh is due.
2. Retention: ``--requests`` requests written as bench_web.py does (70 % closed), their closed ones moved
   past the retention period, each with two comments (one marked as holding personal data), its
   messages and a marked description; then the dry run and the job (apply_retention, in its batches of
   200) timed, with statements per request.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["BENCH_DB_NAME"] = os.environ.get("BENCH_DB_NAME", "gup_bench_accounts")

import bench_web


class Counter:
    def __init__(self):
        self.total = 0
        self.session = 0

    def __call__(self, execute, sql, params, many, context):
        self.total += 1
        if "django_session" in sql:
            self.session += 1
        return execute(sql, params, many, context)


def micro(label, fn, rounds):
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - began) * 1e6)
    print(f"  {label:<52} median {statistics.median(timings):8.0f} µs  worst {max(timings):8.0f} µs")


def bench_sessions(rounds):
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.test import Client

    from directory.models import User
    from gup.middleware import REFRESHED_AT

    print("session (per signed-in request)")
    user = User.objects.get(username="demo-commune")
    client = Client()
    client.force_login(user)
    key = client.session.session_key

    def load():
        store = SessionStore(session_key=key)
        store.load()
        return store

    def read_and_user():
        from django.contrib.auth import get_user

        class Fake:
            session = SessionStore(session_key=key)

        return get_user(Fake())

    micro("session row read (SessionStore.load)", load, rounds)
    micro("session read + user loaded (auth.get_user)", read_and_user, rounds)
    store = load()

    def refresh():
        store[REFRESHED_AT] = int(time.time())
        store.save()

    micro("expiry pushed back (session row written)", refresh, rounds)
    assert {SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY} <= set(load().keys())

    def page(refresh_due):
        timings, counter = [], Counter()
        client.get("/notifications/")
        for _ in range(rounds):
            if refresh_due:
                stale = load()
                stale[REFRESHED_AT] = 0
                stale.save()
            with connection.execute_wrapper(counter):
                began = time.perf_counter()
                response = client.get("/notifications/")
                timings.append((time.perf_counter() - began) * 1e3)
            assert response.status_code == 200
        label = "refresh due" if refresh_due else "ordinary"
        print(
            f"  /notifications/, {label:<36} median {statistics.median(timings):6.2f} ms  "
            f"{counter.total / rounds:5.1f} statements, {counter.session / rounds:.1f} on the session table"
        )

    every = getattr(settings, "SESSION_REFRESH_SECONDS", None) or min(300, settings.SESSION_COOKIE_AGE // 10)
    print(f"  (idle time {settings.SESSION_COOKIE_AGE} s; expiry pushed back at most every {every} s)")
    page(False)
    page(True)


def prepare_retention(rng):
    from django.db import transaction
    from django.utils import timezone

    from accounts import conf
    from accounts.models import PersonalDataMark, PersonalText
    from directory.models import User
    from engine.models import Comment
    from procedures.models import InterventionRequest, RequestMessage

    old = timezone.now() - conf.retention_period() - timedelta(days=30)
    closed = InterventionRequest.objects.filter(closed_at__isnull=False)
    closed.update(closed_at=old)
    agent = User.objects.get(username="demo-ctc")
    requester = User.objects.get(username="demo-commune")
    closed.update(requester=requester, handler_agent=agent)
    rows = list(closed.values_list("pk", "case_id"))
    for start in range(0, len(rows), 2000):
        chunk = rows[start : start + 2000]
        with transaction.atomic():
            comments = Comment.objects.bulk_create(
                [
                    Comment(case_id=case_id, author=agent, body=body)
                    for _pk, case_id in chunk
                    for body in ("Vu avec M. Martin au 06 12 34 56 78", "Passage prévu mardi")
                ]
            )
            RequestMessage.objects.bulk_create(
                [RequestMessage(request_id=pk, kind="done", body="Travaux faits.") for pk, _case in chunk]
            )
            marks = [
                PersonalDataMark(request_id=pk, text=PersonalText.DESCRIPTION, object_id=pk)
                for pk, _ in chunk
            ]
            marks += [
                PersonalDataMark(
                    request_id=pk, text=PersonalText.COMMENT, object_id=comment.pk, spans=[[8, 17]]
                )
                for (pk, _case), comment in zip(chunk, comments[::2], strict=True)
            ]
            PersonalDataMark.objects.bulk_create(marks)
    return len(rows)


def bench_retention(count):
    from django.db import connection

    from accounts.actions.personal_data import apply_retention
    from accounts.models import PersonalDataMark

    print(f"retention job ({count:,} closed requests past the period, 2 comments, 1 message, 2 marks each)")
    began = time.perf_counter()
    planned = apply_retention(dry_run=True)
    elapsed = (time.perf_counter() - began) * 1e3
    print(f"  dry run (its first batch: {len(planned)} requests)  {elapsed:8.0f} ms")
    counter, done, batches = Counter(), 0, []
    with connection.execute_wrapper(counter):
        while True:
            began = time.perf_counter()
            treated = apply_retention()
            if not treated:
                break
            batches.append((time.perf_counter() - began) * 1e3)
            done += treated
    total = sum(batches)
    print(
        f"  job: {done:,} requests in {total / 1e3:.1f} s ({len(batches)} batches of up to 200; median batch "
        f"{statistics.median(batches):.0f} ms): {total / max(done, 1):.2f} ms and "
        f"{counter.total / max(done, 1):.1f} statements per request"
    )
    assert PersonalDataMark.objects.count() == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    parts = bench_web.create_database()
    import django

    django.setup()
    try:
        from django.conf import settings
        from django.db import connection
        from django.test.utils import setup_test_environment

        settings.ALLOWED_HOSTS = ["testserver"]
        setup_test_environment()
        print(f"database: {connection.vendor} ({settings.DATABASES['default']['NAME']})")
        began = time.perf_counter()
        bench_web.setup_data()
        bench_web.fill(args.requests, random.Random(7))
        count = prepare_retention(random.Random(8))
        bench_web.analyze()
        print(f"data: {args.requests:,} requests in {time.perf_counter() - began:.0f} s")
        bench_sessions(args.rounds)
        bench_retention(count)
    finally:
        bench_web.drop_database(parts)


if __name__ == "__main__":
    main()
