"""422 for query parameters: the service-style ``field → messages`` of a check done in a route.

``InvalidInput`` is placed in the request body by ``fupin.api.api.field_errors``; a problem with a query
parameter must name the query, so the client knows which of its parameters to change.
"""

from collections.abc import Mapping, Sequence

from ninja.errors import ValidationError

from fupin.core.errors import Message


def invalid_query(errors: Mapping[str, Sequence[Message]]) -> ValidationError:
    """The error to raise: ``loc`` ``["query", name]``, the message in the request's language."""
    return ValidationError(
        [
            {"loc": ["query", name], "msg": str(message), "type": "invalid"}
            for name, messages in errors.items()
            for message in messages
        ]
    )
