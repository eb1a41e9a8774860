"""Human references of requests, DI-YYYY-NNNNNN, numbered per year without gaps under concurrency.

The counter row is incremented with one UPDATE inside the caller's transaction: on PostgreSQL the row
lock serialises concurrent filings until commit; SQLite serialises writers anyway. A year's first
number creates the row; a concurrent creator loses the unique race and retries the UPDATE.
"""

from django.db import IntegrityError, transaction
from django.db.models import F

from procedures.models import RequestCounter

PREFIX = "DI"


def format_reference(year, number):
    return f"{PREFIX}-{year:04d}-{number:06d}"


def allocate_reference(year):
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("allocate_reference must run inside the filing transaction")
    for _attempt in range(3):
        updated = RequestCounter.objects.filter(year=year).update(last=F("last") + 1)
        if updated:
            number = RequestCounter.objects.values_list("last", flat=True).get(year=year)
            return format_reference(year, number)
        try:
            with transaction.atomic():
                RequestCounter.objects.create(year=year, last=1)
            return format_reference(year, 1)
        except IntegrityError:
            continue  # another filing created the year's row first: increment it
    raise RuntimeError("could not allocate a request reference")
