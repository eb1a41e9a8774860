"""Bulk writes of buffered rows: COPY on PostgreSQL for large batches (the sweeper), bulk_create otherwise."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models

COPY_THRESHOLD = 200


def _fields(model):
    return [field for field in model._meta.concrete_fields if not field.primary_key]


def as_row(obj):
    """A model instance as a dict of column values (attnames)."""
    return {field.attname: getattr(obj, field.attname) for field in _fields(type(obj))}


def _plan(model):
    """For each column: its attname, its name, its default (a callable or a value) and whether it is JSON."""
    plan = []
    for field in _fields(model):
        default = field.default if field.has_default() else (None if field.null else field.get_default())
        plan.append((field.attname, field.name, default, isinstance(field, models.JSONField)))
    return plan


def insert_rows(model, rows, *, need_ids=False):
    """Insert dict rows; returns the created instances (with ids) unless they went through COPY."""
    if not rows:
        return []
    if connection.vendor == "postgresql" and len(rows) >= COPY_THRESHOLD and not need_ids:
        fields = _fields(model)
        plan = _plan(model)
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        table = connection.ops.quote_name(model._meta.db_table)
        dumps = json.JSONEncoder(default=DjangoJSONEncoder().default, ensure_ascii=False).encode
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                values = []
                for attname, name, default, is_json in plan:
                    if attname in row:
                        value = row[attname]
                    elif name in row:
                        value = row[name]
                        value = value.pk if isinstance(value, models.Model) else value
                    else:
                        value = default() if callable(default) else default
                    values.append(dumps(value) if is_json and value is not None else value)
                copy.write_row(values)
        return None
    return model.objects.bulk_create([model(**row) for row in rows])
