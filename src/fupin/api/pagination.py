"""List pagination for every API route: limit and offset, with an offset the database can take.

Ninja's own class accepts any non-negative offset, and one past 2^63 reaches the database as an
out-of-range integer (a server error). Ten million rows is past any area's list.
"""

from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_OFFSET = 10_000_000


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=500, description="rows per page (1-500)")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description=f"rows to skip (0-{MAX_OFFSET:,})")
