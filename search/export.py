"""Exports of a search: the rows of CSV and JSON Lines, one place for the columns (web and CLI share it).

Each row is one hit, in the search's order. List values (people, places) are joined by "; " in CSV
and are arrays in JSON Lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

import orjson

from search.results import Hit

# (column, what it holds): the README and /api/openapi.json list them from here.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "article id (its page is /articles/<id>)"),
    ("published", "publication time, ISO 8601 with the article's offset; empty when undated"),
    ("updated", "when the article says it was updated, ISO 8601; often empty"),
    ("indexed", "when it was indexed, ISO 8601 UTC"),
    ("source", "the outlet or agency"),
    ("title", "headline, plain text"),
    ("url", "the original address, when known"),
    ("people", "people named in it"),
    ("places", "places named in it (canonical names)"),
    ("score", "relevance score; empty when sorted by date"),
    ("other_versions", "other articles of its group of wire copies in the result set"),
)
COLUMN_NAMES = tuple(name for name, _ in COLUMNS)
FORMATS = ("csv", "jsonl")
LIST_SEPARATOR = "; "
ROWS_PER_CHUNK = 200  # rows per piece of a streamed export


def row(hit: Hit) -> dict:
    return {
        "id": hit.id,
        "published": hit.published,
        "updated": hit.updated,
        "indexed": hit.indexed,
        "source": hit.source,
        "title": hit.title,
        "url": hit.url,
        "people": list(hit.people),
        "places": [place.name for place in hit.places],
        "score": hit.score,
        "other_versions": hit.other_versions,
    }


def csv_chunks(hits: Iterable[Hit]) -> Iterator[str]:
    """The CSV text (RFC 4180: CRLF line ends, quoted as needed), a header and then the rows, in pieces."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMN_NAMES)
    for count, hit in enumerate(hits, start=1):
        values = row(hit)
        writer.writerow(
            [
                ""
                if values[name] is None
                else LIST_SEPARATOR.join(values[name])
                if isinstance(values[name], list)
                else values[name]
                for name in COLUMN_NAMES
            ]
        )
        if count % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def jsonl_chunks(hits: Iterable[Hit]) -> Iterator[bytes]:
    """One JSON object per line, in pieces."""
    lines: list[bytes] = []
    for hit in hits:
        lines.append(orjson.dumps(row(hit)) + b"\n")
        if len(lines) == ROWS_PER_CHUNK:
            yield b"".join(lines)
            lines = []
    yield b"".join(lines)
