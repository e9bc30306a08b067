"""JSON Lines, Dateline's interchange format: one article object per line.

Fields (all optional but a title or a body): id, title, subtitle, source, published, updated
(ISO 8601; a time without a zone is in the default zone), body (a list of paragraphs, or a
string with paragraphs separated by blank lines), language, url, metadata (an object);
people (a list of names) and places (a list of names, or of objects with "name" and an optional
"country"): entities the record gives itself, used instead of the model's and normalised the
same way (titles dropped, names joined, places resolved).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO

import orjson

from search.article import Article, Entities, Origin, Place, Problem
from search.readers.build import build_article
from search.readers.dates import parse_datetime
from search.readers.options import ReadOptions
from search.readers.text import decode_bytes, split_blank_line_paragraphs

TEXT_FIELDS = ("title", "subtitle", "source", "language", "url", "id")


def _date(record: dict, name: str, options: ReadOptions, warnings: list[str]) -> datetime | None:
    value = record.get(name)
    if value in (None, ""):
        return None
    parsed = parse_datetime(value, options.default_timezone) if isinstance(value, str) else None
    if parsed is None:
        warnings.append(f"unreadable {name} date {value!r}; left empty")
    return parsed


def article_from_record(record: dict, origin: Origin, options: ReadOptions
                        ) -> tuple[Article | None, list[Problem]]:
    warnings: list[str] = []
    text = {}
    for name in TEXT_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            if isinstance(value, (int, float)) and name == "id":
                value = str(value)
            else:
                warnings.append(f"field {name!r} is not a string; ignored")
                value = None
        text[name] = value or ""
    body = record.get("body")
    if body is None:
        body = []
    elif isinstance(body, str):
        body = split_blank_line_paragraphs(body)
    elif not isinstance(body, list) or not all(isinstance(p, str) for p in body):
        warnings.append("field 'body' is neither a string nor a list of strings; ignored")
        body = []
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        warnings.append("field 'metadata' is not an object; ignored")
        metadata = None
    supplied = _supplied_entities(record, warnings)
    return build_article(
        origin, title=text["title"], subtitle=text["subtitle"], source=text["source"],
        published=_date(record, "published", options, warnings),
        updated=_date(record, "updated", options, warnings),
        body=body, language=text["language"], url=text["url"], given_id=text["id"].strip() or None,
        metadata=metadata, warnings=warnings, supplied=supplied,
    )


def _supplied_entities(record: dict, warnings: list[str]) -> Entities | None:
    """The record's own `people` and `places`, as given (normalised later, like extracted ones)."""
    if "people" not in record and "places" not in record:
        return None
    people = record.get("people") or []
    if not isinstance(people, list) or not all(isinstance(p, str) for p in people):
        warnings.append("field 'people' is not a list of names; ignored")
        people = []
    places: list[Place] = []
    given = record.get("places") or []
    if not isinstance(given, list):
        warnings.append("field 'places' is not a list; ignored")
        given = []
    for item in given:
        if isinstance(item, str):
            places.append(Place(item, None))
        elif isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("country"), (str, type(None))):
            places.append(Place(item["name"], item.get("country") or None))
        else:
            warnings.append(f"a place {orjson.dumps(item).decode()[:60]} is neither a name nor "
                            "{\"name\", \"country\"}; ignored")
    return Entities(people=tuple(p for p in people if p.strip()), places=tuple(p for p in places if p.name.strip()))


def read_jsonl(path: str, stream: BinaryIO, options: ReadOptions) -> Iterator[Article | Problem]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        line, note = decode_bytes(raw)
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            cut = "" if raw.endswith(b"\n") else " (the file ends mid-line: truncated?)"
            yield Problem(path, f"line {number} is not valid JSON: {error}{cut}", number)
            continue
        if not isinstance(record, dict):
            yield Problem(path, f"line {number} is a JSON {type(record).__name__}, not an object", number)
            continue
        article, problems = article_from_record(record, Origin(path, record=number, line=number), options)
        if note:
            problems.insert(0, Problem(path, note, number, "warning"))
        yield from problems
        if article is not None:
            yield article


def article_to_record(article: Article) -> dict:
    """An article as a JSON Lines record that `read_jsonl` reads back to the same article."""
    record: dict = {"id": article.id, "title": article.title}
    if article.subtitle:
        record["subtitle"] = article.subtitle
    if article.source:
        record["source"] = article.source
    if article.published:
        record["published"] = article.published.isoformat()
    if article.updated:
        record["updated"] = article.updated.isoformat()
    record["body"] = list(article.body)
    record["language"] = article.language
    if article.url:
        record["url"] = article.url
    if article.source_metadata:
        record["metadata"] = dict(article.source_metadata)
    if article.supplied is not None:
        record["people"] = list(article.supplied.people)
        record["places"] = [{"name": p.name, "country": p.country} for p in article.supplied.places]
    return record
