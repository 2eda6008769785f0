"""Multi-row INSERT ... RETURNING id, without building model instances.

Django's `bulk_create` spends most of an import compiling SQL per object; the import hot
path instead prepares one statement shape per model and converts values with per-column
adapters chosen once. Works on SQLite (≥ 3.35, RETURNING) and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from operator import itemgetter
from typing import Any

import orjson
from django.db import connection, models
from django.utils import timezone

ROWS_PER_STATEMENT = 500


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:  # type: ignore[type-arg]
    ops = connection.ops
    if isinstance(field, models.JSONField):
        return lambda v: orjson.dumps(v).decode()
    if isinstance(field, models.DateTimeField):
        if connection.vendor == "sqlite":
            # what Django's SQLite backend stores: naive UTC, ISO with a space
            return lambda v: None if v is None else str(v.astimezone(UTC).replace(tzinfo=None))
        return None
    if isinstance(field, models.DateField):
        return (
            (lambda v: None if v is None else v.isoformat())
            if connection.vendor == "sqlite"
            else None
        )
    if isinstance(field, models.DecimalField):
        return lambda v: (
            None
            if v is None
            else ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
        )
    return None


class FastInsert:
    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        self.columns = [f.column for f in fields]
        self.attnames = [f.attname for f in fields]
        self.adapters = [_adapter(f) for f in fields]
        self.auto_now = {
            f.attname
            for f in fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        self.defaults = {
            f.attname: f.get_default() for f in fields if f.attname not in self.auto_now
        }
        qn = connection.ops.quote_name
        self.table = qn(model._meta.db_table)
        self.column_sql = ", ".join(qn(c) for c in self.columns)
        self.row_sql = "(" + ", ".join(["%s"] * len(self.columns)) + ")"
        self.pk_column = qn(model._meta.pk.column)
        # COPY: psycopg's C dumpers encode every value but JSON (a list would become an array)
        self._json_columns = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]

    def insert(self, rows: list[dict[str, Any]]) -> list[int]:
        now = timezone.now()
        if connection.vendor == "sqlite":
            now = str(now.astimezone(UTC).replace(tzinfo=None))  # type: ignore[assignment]
        ids: list[int] = []
        base = {**self.defaults, **dict.fromkeys(self.auto_now, now)}
        get = itemgetter(*self.attnames)
        adapted = [
            (i, a)
            for i, a in enumerate(self.adapters)
            if a is not None and self.attnames[i] not in self.auto_now
        ]
        if connection.vendor == "postgresql":
            return self._copy(rows, base, get)
        with connection.cursor() as cur:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                params: list[Any] = []
                for row in chunk:
                    values = list(get({**base, **row}))
                    for i, adapt in adapted:
                        values[i] = adapt(values[i])
                    params.extend(values)
                sql = (
                    f"INSERT INTO {self.table} ({self.column_sql}) VALUES "
                    + ", ".join([self.row_sql] * len(chunk))
                    + f" RETURNING {self.pk_column}"
                )
                cur.execute(sql, params)
                ids.extend(r[0] for r in cur.fetchall())
        return ids

    def _copy(self, rows: list[dict[str, Any]], base: dict[str, Any], get: Any) -> list[int]:
        """PostgreSQL: take ids from the sequence, then COPY the rows in (an order faster than INSERT)."""
        table = self.model._meta.db_table
        with connection.cursor() as cur:
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, self.model._meta.pk.column, len(rows)],
            )
            ids = [r[0] for r in cur.fetchall()]
            raw = cur.cursor  # the psycopg cursor under Django's wrapper
            json_columns = self._json_columns
            dumps = orjson.dumps
            with raw.copy(
                f"COPY {self.table} ({self.column_sql}, {self.pk_column}) FROM STDIN"
            ) as copy:
                write_row = copy.write_row
                for pk, row in zip(ids, rows, strict=True):
                    values = list(get({**base, **row}))
                    for i in json_columns:
                        v = values[i]
                        if v is not None:
                            values[i] = dumps(v).decode()
                    values.append(pk)
                    write_row(values)
        return ids
