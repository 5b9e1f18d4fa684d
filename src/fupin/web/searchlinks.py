"""Search text kept out of addresses.

What a clerk types in a search box is personal data: a name, a household number, the digits of an
ID number (typed live, so every prefix is sent). An address with ``?q=…`` lands in the browser's
history, in the address bar of a shared screen and in the access log of every proxy in front of the
server. So the search forms post, and the address they leave behind carries the text only
encrypted (``qk``, a Fernet token under the project's keys, valid for a working day); the page, its
pager and its export buttons read it back. An old address with a plain ``q`` still works.
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken
from django.http import HttpRequest, QueryDict

from fupin.pii.crypto import get_cipher

PLAIN = "q"
SEALED = "qk"
# A search link is for the clerk's working day; an address found in a history later says nothing.
LIFETIME_SECONDS = 12 * 3600
# Fields of a posted search form that are not filters.
_NOT_FILTERS = ("csrfmiddlewaretoken", "page")


def sealed(text: str) -> str:
    return get_cipher().encrypt(text)


def unsealed(token: str) -> str | None:
    """The search text of a token, or None for a token that is expired, altered or not ours."""
    try:
        return get_cipher().decrypt(token, ttl=LIFETIME_SECONDS)
    except (InvalidToken, ValueError, UnicodeError):
        return None


def address_query(posted: QueryDict) -> QueryDict:
    """The query string a posted search form leaves in the address: its filters, the text sealed."""
    query = QueryDict(mutable=True)
    for name, values in posted.lists():
        if name in _NOT_FILTERS or name == SEALED:
            continue
        if name == PLAIN:
            text = (values[-1] if values else "").strip()
            if text:
                query[SEALED] = sealed(text)
            continue
        query.setlist(name, [v for v in values if v != ""])
    return query


def filters_of(request: HttpRequest) -> tuple[QueryDict, bool]:
    """The filters of a list page's address with the search text opened; and whether a sealed text
    could not be opened (expired: the page says so and searches for nothing)."""
    query = request.GET.copy()
    token = query.pop(SEALED, [])
    if not token:
        return query, False
    text = unsealed(token[-1])
    query[PLAIN] = text or ""
    return query, text is None
