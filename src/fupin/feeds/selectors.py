"""Reads of the department feeds.

``feed_table`` is the contract with the screening engine (``fupin.engine.tables.FEEDS``): linked
records only, exactly these columns and Arrow types, in this order, one row per record ordered by
``record_id``::

    record_id     int64
    household_id  int64
    member_id     int64    (null when the record names a household, not a person)
    kind          string   (a FeedKind value: medical, disaster, school, …)
    event_date    date32
    amount        float64  (null when the kind has none or the row left it empty; yuan)
    code          string   (null when the kind has none)

It carries no personal data (no name, no ID number), and it is not scoped: the engine screens every
household it is given and the callers that show results to users go through ``scope.scoped``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pyarrow as pa
from django.db.models import QuerySet

from fupin.accounts.scope import scoped
from fupin.engine import tables
from fupin.feeds.models import FeedRecord

# The engine's own definition of its feeds table: one contract, not a copy of it.
FEED_TABLE_SCHEMA = tables.schema("feeds")

_CHUNK = 5000


def feed_table(
    as_of: dt.date | None = None,
    *,
    area_path: str | None = None,
    household_ids: Iterable[int] | None = None,
) -> pa.Table:
    """Every linked feed record dated on or before ``as_of`` (all of them when ``as_of`` is None),
    of households under ``area_path`` and/or among ``household_ids`` when given."""
    records = FeedRecord.objects.filter(household__isnull=False)
    if area_path is not None:
        records = records.filter(household__village__path__startswith=area_path)
    if household_ids is not None:
        records = records.filter(household_id__in=list(household_ids))
    if as_of is not None:
        records = records.filter(event_date__lte=as_of)
    columns: dict[str, list[Any]] = {name: [] for name in FEED_TABLE_SCHEMA.names}
    rows = records.order_by("id").values_list(
        "id", "household_id", "member_id", "kind", "event_date", "amount", "code"
    )
    for record_id, household_id, member_id, kind, event_date, amount, code in rows.iterator(_CHUNK):
        columns["record_id"].append(record_id)
        columns["household_id"].append(household_id)
        columns["member_id"].append(member_id)
        columns["kind"].append(kind)
        columns["event_date"].append(event_date)
        columns["amount"].append(None if amount is None else float(amount))
        columns["code"].append(code if code else None)
    return pa.table(
        [pa.array(columns[f.name], type=f.type) for f in FEED_TABLE_SCHEMA],
        schema=FEED_TABLE_SCHEMA,
    )


def records_for(user: Any, mode: str = "view") -> QuerySet[FeedRecord]:
    """Feed records of people in the user's scope (unlinked records are nobody's)."""
    return scoped(FeedRecord.objects.select_related("batch", "household"), user, mode)  # type: ignore[arg-type]
