"""Human references of requests, DI-YYYY-NNNNNN, numbered per year without gaps under concurrency.

The counter row is incremented with one UPDATE ... RETURNING inside the caller's transaction: on
PostgreSQL the row lock serialises concurrent filings until commit; SQLite serialises writers anyway.
A year's first number creates the row; a concurrent creator loses the unique race and retries the UPDATE.
"""

from django.db import IntegrityError, transaction

from procedures.models import RequestCounter

PREFIX = "DI"


def format_reference(year, number):
    return f"{PREFIX}-{year:04d}-{number:06d}"


def _increment(year):
    """+1 on the year's counter and its new value in one statement (UPDATE ... RETURNING, PostgreSQL
    and SQLite 3.35+); None when the year has no row yet."""
    table = RequestCounter._meta.db_table
    connection = transaction.get_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'UPDATE "{table}" SET "last" = "last" + 1 WHERE "year" = %s RETURNING "last"', [year])
        row = cursor.fetchone()
    return row[0] if row else None


def allocate_reference(year):
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_reference must run inside the filing transaction")
    for _attempt in range(3):
        number = _increment(year)
        if number is not None:
            return format_reference(year, number)
        try:
            with transaction.atomic():
                RequestCounter.objects.create(year=year, last=1)
            return format_reference(year, 1)
        except IntegrityError:
            continue  # another filing created the year's row first: increment it
    raise RuntimeError("could not allocate a request reference")
