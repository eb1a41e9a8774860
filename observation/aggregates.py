"""A percentile computed by the database: ``percentile_cont`` on PostgreSQL, and the same linear
interpolation registered as an aggregate function on SQLite connections (observation.apps)."""

import math

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


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("gup_percentile", 2, SqlitePercentile)
