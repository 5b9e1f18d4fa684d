"""Department feeds: push a list as JSON rows, read an import's result and its records in scope.

A push goes through ``fupin.feeds.services.import_feed``, the same service as the Excel/CSV import
and ``fupin feeds import``: the rows are written as a CSV with the kind's columns and checked, linked
and stored all or nothing by the service, with its rules (who may import, rows of people registered
outside the capture area refused, the same list twice refused). A problem comes back as 422 with its
row and field: ``loc`` is ``["body", "rows", <index from 0>, <field>]``.

A batch is readable by its importer and by users whose area holds at least one of its linked
records; records are listed only inside the user's view scope, with masked ID numbers and no names.
"""

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from ninja import Field, Header, Router, Schema
from ninja.pagination import paginate

from fupin.accounts.models import User
from fupin.api import idempotency
from fupin.api.auth import actor
from fupin.api.pagination import BoundedLimitOffsetPagination
from fupin.api.schemas import MessageOut, OptionalMoney, ValidationErrorOut
from fupin.core.errors import Message, OutOfScope
from fupin.feeds import selectors, services
from fupin.feeds.kinds import KINDS, FeedKind
from fupin.feeds.models import FeedBatch

router = Router(tags=["feeds"])

MAX_ROWS = 20_000
FIRST_ROW = 2  # the CSV handed to the service has its header on row 1
FIELDS = ("id_number", "name", "event_date", "amount", "code")


# ---------------------------------------------------------------- bodies


class FeedRowIn(Schema):
    """One person's fact. Values are checked by the import service, as in a spreadsheet."""

    id_number: str = Field(max_length=40, description="18-character resident ID number (GB 11643)")
    name: str = Field(max_length=100, description="the person's name as the department has it")
    event_date: str = Field(
        max_length=40,
        description="the kind's date (settlement, disaster, status, return, death, …): 2026-03-05",
    )
    amount: str | Decimal | None = Field(
        None,
        description="yuan, at most two decimals (medical and disaster: required; "
        "returned_migrant and assistance_roll: optional; other kinds: leave out)",
        json_schema_extra={"maxLength": 40},
    )
    code: str | None = Field(
        None,
        max_length=60,
        description="the kind's code (disaster type, school or insurance status, return reason, "
        "housing rating, assistance type); GET the CSV template for the allowed codes",
    )


class FeedPushIn(Schema):
    source: str = Field(
        "",
        max_length=200,
        description="what the list is (the department's file name, say); kept as the batch's file name",
    )
    rows: list[FeedRowIn] = Field(max_length=MAX_ROWS, description=f"1-{MAX_ROWS:,} rows")


class FeedNote(Schema):
    field: str
    msg: str


class FeedBatchOut(Schema):
    id: int
    kind: str = Field(json_schema_extra={"enum": list(FeedKind.values)})
    kind_label: str = Field(description="the kind's name in the request's language")
    file_name: str
    imported_at: dt.datetime
    rows: int = Field(alias="row_count", description="records imported")
    linked: int = Field(alias="linked_count", description="records matched to a registered person")
    unlinked: int = Field(
        alias="unlinked_count", description="records that matched nobody: kept, shown to nobody, not screened"
    )
    notes: list[FeedNote] = Field(
        default_factory=list, description="push answer only: fields that were sent but not used"
    )

    @staticmethod
    def resolve_kind_label(obj: FeedBatch) -> str:
        return str(FeedKind(obj.kind).label)


class FeedRecordOut(Schema):
    id: int
    row: int = Field(
        alias="source_row",
        description="the row in the imported list, as in a spreadsheet under its header "
        "(a push's rows[0] is row 2)",
    )
    kind: str
    household_id: int | None
    household_number: str = Field(alias="household.number")
    member_id: int | None
    id_number_masked: str
    event_date: dt.date
    amount: OptionalMoney
    code: str | None


# ---------------------------------------------------------------- pushing


def _text(value: str | Decimal | None) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _unusable(value: str) -> bool:
    """Text the CSV reader cannot take: a NUL or an unpaired surrogate."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _error(loc: list[str | int], message: Message, kind: str = "invalid") -> dict[str, Any]:
    return {"loc": loc, "msg": str(message), "type": kind}


def _as_csv(kind: str, rows: list[FeedRowIn]) -> tuple[bytes, list[dict[str, Any]]]:
    """The rows as the kind's CSV (header: the field names), or the problems that keep them out."""
    spec = KINDS[kind]
    fields = [column.field for column in spec.columns]
    problems: list[dict[str, Any]] = []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for index, row in enumerate(rows):
        values = {name: _text(getattr(row, name)) for name in FIELDS}
        for name in FIELDS:
            if name not in fields and values[name]:
                problems.append(
                    _error(
                        ["body", "rows", index, name],
                        _("Lists of this kind have no such value: leave it out."),
                    )
                )
            elif _unusable(values[name]):
                problems.append(
                    _error(["body", "rows", index, name], _("This value holds characters that are not text."))
                )
        writer.writerow([values[name] for name in fields])
    return out.getvalue().encode("utf-8"), problems


def _field_of(column: str) -> str:
    return column if column in FIELDS else ""


def _problem_loc(row: int, column: str) -> list[str | int]:
    field = _field_of(column)
    if row < FIRST_ROW:  # the list as a whole (no rows, the same list again)
        return ["body", "rows"] if not field else ["body", "rows", field]
    return ["body", "rows", row - FIRST_ROW, *([field] if field else [])]


def _file_name(kind: str, source: str) -> str:
    name = source.replace("/", "_").replace("\\", "_").strip() or f"api-{kind}"
    return name if name.lower().endswith(".csv") else f"{name}.csv"


def _push(user: User, kind: str, payload: FeedPushIn) -> tuple[int, dict[str, Any]]:
    data, problems = _as_csv(kind, payload.rows)
    if problems:
        return 422, {"detail": problems}
    try:
        result = services.import_feed(user, kind, data, _file_name(kind, payload.source))
    except services.FeedImportFailed as exc:
        return 422, {
            "detail": [_error(_problem_loc(p.row, p.column), p.message) for p in exc.problems],
        }
    batch = FeedBatch.objects.get(pk=result.batch_id)
    body = FeedBatchOut.from_orm(batch).model_dump(mode="json")
    body["notes"] = [{"field": _field_of(n.column) or n.column, "msg": str(n.message)} for n in result.notes]
    return 201, body


@router.post(
    "/feeds/{kind}",
    response={201: FeedBatchOut, 403: MessageOut, 422: ValidationErrorOut},
    summary="Push a department list (all or nothing)",
    description=(
        "Imports the rows of one kind of department list (`medical`, `disaster`, `school`, `insurance`, "
        "`returned_migrant`, `housing`, `death`, `assistance_roll`) exactly as an uploaded spreadsheet "
        "of the kind would be: every row is checked, then all rows are stored and linked to registered "
        'people by ID number, or none. A problem is 422 with `loc` `["body", "rows", index, field]`. '
        "Send an `Idempotency-Key` header so that a retry never imports twice: the same key and body "
        "answer the first result again (header `Idempotent-Replayed: true`); a failed push keeps no key. "
        "Pushing the same rows again under another key is refused as a list already imported. Needs a role "
        "that edits records; a row of a person registered outside your area refuses the push."
    ),
)
def push_feed(
    request: HttpRequest,
    kind: FeedKind,
    payload: FeedPushIn,
    idempotency_key: str | None = Header(
        None,
        alias=idempotency.HEADER,
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        description=idempotency.KEY_DESCRIPTION,
    ),
) -> JsonResponse:
    user = actor(request)
    code = FeedKind(kind).value
    return idempotency.respond_once(
        user,
        idempotency_key,
        "POST",
        f"/feeds/{code}",
        payload.model_dump(mode="json"),
        lambda: _push(user, code, payload),
    )


# ---------------------------------------------------------------- reading


def _batch(user: User, batch_id: int) -> FeedBatch:
    """The batch, if the user imported it or their area holds one of its records; else "not found"."""
    batch = FeedBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise OutOfScope()
    if batch.imported_by_id != user.pk and not selectors.records_for(user).filter(batch=batch).exists():
        raise OutOfScope()
    return batch


@router.get(
    "/feeds/batches/{int:batch_id}",
    response={200: FeedBatchOut, 404: MessageOut},
    summary="The result of a department list's import",
    description=(
        "Kind, file name, when, and how many records were imported, matched to a registered person "
        "(linked) or to nobody (unlinked). Readable by the importer and by users whose area holds one "
        "of the batch's linked records; otherwise 404."
    ),
)
def get_batch(request: HttpRequest, batch_id: int) -> FeedBatch:
    return _batch(actor(request), batch_id)


@router.get(
    "/feeds/batches/{int:batch_id}/records",
    response={200: list[FeedRecordOut], 404: MessageOut},
    summary="The linked records of an import in your area",
    description=(
        "The batch's records matched to people registered in your area, in row order: household, "
        "member, masked ID number, date, amount and code. Records of other areas and unlinked records "
        "are not listed."
    ),
)
@paginate(BoundedLimitOffsetPagination, max_limit=500)
def batch_records(request: HttpRequest, batch_id: int) -> Any:
    user = actor(request)
    batch = _batch(user, batch_id)
    return selectors.records_for(user).filter(batch=batch).order_by("source_row", "id")
