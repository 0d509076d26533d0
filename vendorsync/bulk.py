"""Bulk inserts for the import hot paths: COPY on PostgreSQL, ``bulk_create`` elsewhere.

``bulk_create`` on PostgreSQL sends each column as an array (``UNNEST``) that psycopg renders
and escapes in Python: for a page of 100 POs × 20 lines that rendering, not the database, was
most of the import's time. COPY streams the rows through psycopg's C row formatter instead.
Primary keys are reserved from the table's sequence first, so callers get saved objects with
their ids, as ``bulk_create`` gives them. Same rows either way; nothing else (no signals, as
with ``bulk_create``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models

_DEFAULTS: dict[type[models.Model], list[tuple[str, Any]]] = {}


def new_object[M: models.Model](model: type[M], values: dict[str, Any]) -> M:
    """``model(**values)`` for hot paths: the same unsaved object, built positionally.

    ``values`` are keyed by attname (``item_id``, not ``item``); every other field gets its
    default, as with keyword construction. Django's positional path skips the keyword handling
    that made building 20 lines a PO the largest single cost of the import (~6× slower).
    """
    spec = _DEFAULTS.get(model)
    if spec is None:
        spec = _DEFAULTS[model] = [(f.attname, f.get_default) for f in model._meta.concrete_fields]
    unknown = values.keys() - {name for name, _ in spec}
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(unknown)}")
    return model(*[values[name] if name in values else default() for name, default in spec])


def _value(field: models.Field, obj: models.Model) -> Any:
    value = field.pre_save(obj, add=True)  # defaults and auto_now_add, as an INSERT does
    if value is None:
        return None
    if isinstance(field, models.JSONField):
        return json.dumps(value, cls=field.encoder)
    if isinstance(value, enum.Enum):  # TextChoices members: their value, never their name
        return value.value
    return value


def insert_objects[M: models.Model](objs: Sequence[M], *, batch_size: int = 2000) -> list[M]:
    """Insert unsaved objects of one model; returns them saved, with their primary keys.

    A unique violation is Django's ``IntegrityError`` on every backend, and, inside the caller's
    transaction, leaves nothing of the batch behind once that transaction (or savepoint) rolls back.
    """
    if not objs:
        return []
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=batch_size)
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not getattr(f, "generated", False)]
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with connection.wrap_database_errors:  # psycopg's UniqueViolation → Django's IntegrityError
            with cursor.cursor.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:  # noqa: S608
                for obj, pk in zip(objs, ids, strict=True):
                    setattr(obj, opts.pk.attname, pk)
                    copy.write_row([_value(field, obj) for field in fields])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)
