"""Every table as rows of JSON, independent of the database engine, with counts and checksums.

A row is the JSON array of its column values in the model's field order, each value in a plain form
(text for dates, times, decimals and UUIDs, base64 for bytes, JSON fields as they are). The same rows
come out of SQLite and PostgreSQL, so a dump of one restores onto the other and the checksums compare.

A table's checksum is the sum modulo 2**256 of the SHA-256 of each row: it does not depend on the order
rows are read in (string keys sort differently by collation), and it is computed while streaming.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps.registry import Apps
from django.db import connection, models
from django.utils.duration import duration_string

BATCH = 2000
_MODULUS = 2**256


def table_models(app_registry: Apps) -> list[type[models.Model]]:
    """Every concrete table's model, parents before the tables that point at them."""
    found = {}
    for model in app_registry.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed or meta.swapped:
            continue
        found[meta.db_table] = model
    ordered: list[type[models.Model]] = []
    placed: set[str] = set()

    def place(table: str, seen: tuple[str, ...] = ()) -> None:
        if table in placed or table in seen:
            return
        model = found[table]
        for field in model._meta.local_concrete_fields:
            target = getattr(field, "related_model", None)
            if target is not None and target._meta.db_table in found:
                place(target._meta.db_table, (*seen, table))
        placed.add(table)
        ordered.append(model)

    for table in sorted(found):
        place(table)
    return ordered


def columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return list(model._meta.local_concrete_fields)


def encode(value: Any) -> Any:
    """A value read through the model, in a JSON form that ``decode`` turns back into the same value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_string(value)
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict | list):
        return value
    raise TypeError(f"cannot back up a value of type {type(value).__name__}")


def decode(field: models.Field[Any, Any], value: Any) -> Any:
    if value is None or isinstance(field, models.JSONField):
        return value
    if isinstance(field, models.BinaryField):
        return base64.b64decode(value)
    return field.to_python(value)


def canonical(row: list[Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass
class TableSum:
    """The running row count and order-independent checksum of a table."""

    rows: int = 0
    total: int = 0

    def add(self, line: bytes) -> None:
        self.rows += 1
        self.total = (self.total + int.from_bytes(hashlib.sha256(line).digest(), "big")) % _MODULUS

    @property
    def checksum(self) -> str:
        return f"{self.total:064x}"


def read_rows(model: type[models.Model], column_names: list[str] | None = None) -> Iterator[list[Any]]:
    """The table's rows in primary-key order, each as encoded column values (in the order given: a
    historical model of the same table may list its fields in another order)."""
    by_column = {f.column: f for f in columns(model)}
    names = [by_column[c].attname for c in column_names or list(by_column)]
    queryset = model._base_manager.order_by("pk").values_list(*names)
    for values in queryset.iterator(chunk_size=BATCH):
        yield [encode(v) for v in values]


def summarize(model: type[models.Model], column_names: list[str] | None = None) -> TableSum:
    total = TableSum()
    for row in read_rows(model, column_names):
        total.add(canonical(row))
    return total


def insert_rows(
    model: type[models.Model],
    column_names: list[str],
    rows: Iterable[list[Any]],
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert encoded rows (as ``read_rows`` gave them) into the model's table; the count inserted."""
    by_column = {f.column: f for f in columns(model)}
    unknown = [c for c in column_names if c not in by_column]
    if unknown:
        raise ValueError(f"{model._meta.db_table}: the backup has columns this schema lacks: {unknown}")
    fields = [by_column[c] for c in column_names]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - quoted names from the schema
        quote(model._meta.db_table),
        ", ".join(quote(c) for c in column_names),
        ", ".join(["%s"] * len(column_names)),
    )
    count = 0
    batch: list[list[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(
                [f.get_db_prep_save(decode(f, v), connection) for f, v in zip(fields, row, strict=True)]
            )
            if len(batch) >= BATCH:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch = []
                if progress:
                    progress(count)
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
