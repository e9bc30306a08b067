"""Opaque cursors for deep paging: the last hit's sort key and id, and the index version they belong to.

A client passes `next_cursor` back unchanged to get the following page. The cursor holds the index
version (a generation and its commit): the order of hits is only defined within one version, so a
cursor from another one is refused with a 400 that says to start again, never silently misread.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

import orjson

from search.results import BadRequest, SearchRequest

FORMAT = 1
MALFORMED = "cursor is malformed: pass back a next_cursor unchanged"


@dataclass(frozen=True)
class Cursor:
    version: str  # the index version whose order it continues (search.index.store.live_version)
    sort: str
    collapse: bool
    key: float | int | None  # the last hit's sort key: its score, or its UTC time (None: undated)
    id: str  # the last hit's article id

    def encode(self) -> str:
        raw = orjson.dumps([FORMAT, self.version, self.sort, self.collapse, self.key, self.id])
        return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """The cursor a next_cursor encodes; BadRequest (parameter `cursor`) for anything else."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = orjson.loads(raw)
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            raise BadRequest(MALFORMED, "cursor") from None
        if not (
            isinstance(data, list)
            and len(data) == 6
            and data[0] == FORMAT
            and isinstance(data[1], str)
            and isinstance(data[2], str)
            and isinstance(data[3], bool)
            and (data[4] is None or isinstance(data[4], (int, float)))
            and not isinstance(data[4], bool)
            and isinstance(data[5], str)
        ):
            raise BadRequest(MALFORMED, "cursor")
        return cls(version=data[1], sort=data[2], collapse=data[3], key=data[4], id=data[5])


def request_cursor(request: SearchRequest, version: str | None) -> Cursor | None:
    """The request's cursor, if it has one, checked against the index version it is read on and
    against this search's sort and collapse (every engine refuses the same cursors the same way)."""
    if request.cursor is None:
        return None
    cursor = Cursor.decode(request.cursor)
    if cursor.version != version:
        raise BadRequest(
            "the index has changed since this cursor was made: start again from the first page (without cursor)",
            "cursor",
        )
    if cursor.sort != request.sort or cursor.collapse != request.collapse:
        raise BadRequest(
            "this cursor belongs to a search with another sort or collapse; pass it with the "
            "parameters of the search that returned it",
            "cursor",
        )
    return cursor
