"""A percentile computed by the database: ``percentile_cont`` on PostgreSQL, and the same linear
interpolation registered as an aggregate function on SQLite connections (observation.apps)."""

import math

from django.db import connection
from django.db.models import Aggregate, FloatField


class Percentile(Aggregate):
    """``Percentile("taken_seconds", 0.9)``: the continuous percentile (linear interpolation between
    the two nearest ranks, as PostgreSQL's ``percentile_cont``); None over no rows."""

    name = "Percentile"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction, **extra):
        if not 0 <= fraction <= 1:
            raise ValueError(fraction)
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra_context):  # pragma: no cover - other databases
        raise NotImplementedError(f"Percentile is not available on {connection.vendor}")

    def as_postgresql(self, compiler, connection, **extra_context):
        template = f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY %(expressions)s)"
        return super().as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        template = f"gup_percentile(%(expressions)s, {self.fraction!r})"
        return super().as_sql(compiler, connection, template=template, **extra_context)


class SqlitePercentile:
    """The SQLite side of ``Percentile`` (step/finalize protocol of ``create_aggregate``)."""

    def __init__(self):
        self.values = []
        self.fraction = 0.5

    def step(self, value, fraction):
        self.fraction = fraction
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return continuous_percentile(sorted(self.values), self.fraction)


def continuous_percentile(ordered, fraction):
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


# Over the rows of a values() query with the columns key, name, kind_ (of deadline), taken, target, n (how
# many deadlines took ``taken`` seconds against ``target``), w (how many of them waited) and ws (seconds
# waited): per kind and key, the sums, and the two values around the 50th and 90th percentile of
# ``taken`` and the 50th of ``target``. The value of 0-based rank r is the smallest v whose running
# count exceeds r, and for a whole running count c, c > floor(p) exactly when c > p: so the rank is
# never rounded in SQL.
_STATS = """
WITH d AS ({inner}),
sums AS (
  SELECT kind_, key, MAX(name) AS name, SUM(n) AS total,
         SUM(CASE WHEN taken <= target THEN n ELSE 0 END) AS on_time,
         SUM(w) AS waited, SUM(ws) AS waited_seconds
  FROM d GROUP BY kind_, key
),
counted AS (
  SELECT kind_, key, 'taken' AS which, taken AS v, SUM(n) AS n FROM d GROUP BY kind_, key, taken
  UNION ALL
  SELECT kind_, key, 'target' AS which, target AS v, SUM(n) AS n FROM d GROUP BY kind_, key, target
),
running AS (
  SELECT kind_, key, which, v, SUM(n) OVER (PARTITION BY kind_, key, which ORDER BY v) AS cum,
         SUM(n) OVER (PARTITION BY kind_, key, which) AS total
  FROM counted
),
ranks AS (
  SELECT kind_, key, which,
         MIN(v) FILTER (WHERE cum > {p50} * (total - 1)) AS a,
         MIN(v) FILTER (WHERE cum > {p50} * (total - 1) + 1) AS b,
         MIN(v) FILTER (WHERE cum > {p90} * (total - 1)) AS c,
         MIN(v) FILTER (WHERE cum > {p90} * (total - 1) + 1) AS d
  FROM running GROUP BY kind_, key, which
)
SELECT kind_, key, which, NULL AS name, a, b, c, d FROM ranks
UNION ALL
SELECT kind_, key, 'sums' AS which, name, total, on_time, waited, waited_seconds FROM sums
"""


def _interpolate(total, fraction, low_value, high_value):
    if not total or low_value is None:
        return None
    position = fraction * (total - 1)
    low_value = int(low_value)  # whole seconds (PostgreSQL's UNION may give them as numeric)
    high_value = low_value if high_value is None else int(high_value)
    return float(low_value + (high_value - low_value) * (position - math.floor(position)))


def distribution_stats(inner):
    """{(kind, key): {name, measured, median_seconds, p90_seconds, on_time, waited, waited_seconds,
    target_seconds}} from ``inner`` (see ``_STATS``), in one query: the same numbers as
    ``percentile_cont`` over the deadlines themselves."""
    sql, params = inner.query.sql_with_params()
    double = "CAST({} AS DOUBLE PRECISION)"
    query = _STATS.format(inner=sql, p50=double.format(0.5), p90=double.format(0.9))
    parts = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for kind, key, which, name, a, b, c, d in cursor.fetchall():
            parts.setdefault((kind, key), {})[which] = (name, a, b, c, d)
    out = {}
    for key, part in parts.items():
        name, total, on_time, waited, waited_seconds = part["sums"]
        total = int(total or 0)
        _n, t50a, t50b, t90a, t90b = part.get("taken", (None,) * 5)
        _n, g50a, g50b, _g90a, _g90b = part.get("target", (None,) * 5)
        out[key] = {
            "name": name,
            "measured": total,
            "median_seconds": _interpolate(total, 0.5, t50a, t50b),
            "p90_seconds": _interpolate(total, 0.9, t90a, t90b),
            "on_time": int(on_time or 0),
            "waited": int(waited or 0),
            "waited_seconds": None if waited_seconds is None else int(waited_seconds),
            "target_seconds": _interpolate(total, 0.5, g50a, g50b),
        }
    return out


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("gup_percentile", 2, SqlitePercentile)
