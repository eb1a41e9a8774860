"""Bulk inserts for the large imports (the cadastre: hundreds of thousands of parcels and periods).

Rows are plain dicts keyed by the fields' attribute names (no model instance per row). On PostgreSQL they
go through COPY (one stream per batch, no SQL text to build and parse per row), their ids reserved
beforehand from the table's sequence; elsewhere (SQLite) `bulk_create` in batches. Either way the rows are
written in the caller's transaction, so a failure later in the run rolls them back with the rest. No
signal is sent (as with `bulk_create`): the callers bump `LayerVersion` themselves.
"""

import json

from django.db import connection, models
from django.utils import timezone

BATCH = 2000


class JsonText(str):
    """A JSON column's value already serialised (the import has the text at hand for its digest)."""


def insert_rows(model, rows, *, batch_size=BATCH):
    """Insert `rows` (dicts: attname -> value; missing fields take their default, `auto_now_add` fields
    now) into `model`'s table; returns the new ids in the order of `rows`."""
    rows = list(rows)
    if not rows:
        return []
    meta = model._meta
    fields = [f for f in meta.concrete_fields if f is not meta.pk]
    now = timezone.now()
    defaults = {}
    for field in fields:
        if getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            defaults[field.attname] = now
        elif field.has_default():
            defaults[field.attname] = field.get_default()
        else:
            defaults[field.attname] = None
    if connection.vendor != "postgresql":
        objects = []
        for row in rows:
            values = {**defaults, **row}
            for field in fields:
                if isinstance(field, models.JSONField) and isinstance(values[field.attname], JsonText):
                    values[field.attname] = json.loads(values[field.attname])
            objects.append(model(**values))
        model.objects.bulk_create(objects, batch_size=batch_size)
        return [obj.pk for obj in objects]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in [meta.pk, *fields])
    prepare = []
    for field in fields:
        if isinstance(field, models.JSONField):
            prepare.append(_json)
        elif isinstance(field, models.DateField | models.TimeField | models.DecimalField):
            prepare.append(lambda value, field=field: field.get_db_prep_save(value, connection))
        else:
            prepare.append(None)
    names = [f.attname for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        with cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                values = [pk]
                for name, step in zip(names, prepare, strict=True):
                    value = row[name] if name in row else defaults[name]
                    values.append(value if step is None or value is None else step(value))
                copy.write_row(values)
    return ids


def _json(value):
    return value if isinstance(value, JsonText) else json.dumps(value)
