"""JSON Lines, Dateline's interchange format: one article object per line.

Fields (all optional but a title or a body): id, title, subtitle, source (the outlet or agency),
byline (the author or authors: a string, or a list of names), published, updated (ISO 8601; a
time without a zone is in the default zone), body (a list of paragraphs, or a string with
paragraphs separated by blank lines), language, url, topic, metadata (an object); people (a list
of names) and places (a list of names, or of objects with "name" and an optional "country"):
entities the record gives itself, used instead of the model's and normalised the same way
(titles dropped, names joined, places resolved). Other fields with plain values (AllSides'
`bias`) are kept in the article's source metadata.
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
from search.readers.outlets import outlet_for
from search.readers.records import RecordCheck, Unchanged, check_record
from search.readers.streams import bounded_lines
from search.readers.text import decode_bytes, split_blank_line_paragraphs

TEXT_FIELDS = ("title", "subtitle", "source", "byline", "language", "url", "id", "topic")
KNOWN_FIELDS = frozenset(TEXT_FIELDS) | {"published", "updated", "body", "metadata", "people", "places"}
# Deeper metadata is dropped with a warning: nothing needs it, and JSON writers stop at ~250 levels.
MAX_METADATA_DEPTH = 16


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a JSON value (iteratively: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: list = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_METADATA_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _date(record: dict, name: str, options: ReadOptions, warnings: list[str]) -> datetime | None:
    value = record.get(name)
    if value in (None, ""):
        return None
    parsed = parse_datetime(value, options.default_timezone) if isinstance(value, str) else None
    if parsed is None:
        warnings.append(f"unreadable {name} date {value!r}; left empty")
    return parsed


def article_from_record(record: dict, origin: Origin, options: ReadOptions) -> tuple[Article | None, list[Problem]]:
    warnings: list[str] = []
    text = {}
    for name in TEXT_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            if isinstance(value, (int, float)) and name == "id":
                value = str(value)
            elif name == "byline" and isinstance(value, list) and all(isinstance(v, str) for v in value):
                value = ", ".join(v.strip() for v in value if v.strip())
            else:
                warnings.append(f"field {name!r} is not a string; ignored")
                value = None
        text[name] = value or ""
    body = record.get("body")
    if body is None:
        body = []
    elif isinstance(body, str):
        if len(body) > options.max_article_chars:
            body = body[: options.max_article_chars + 1]  # build_article cuts it and says so
        body = split_blank_line_paragraphs(body)
    elif not isinstance(body, list) or not all(isinstance(p, str) for p in body):
        warnings.append("field 'body' is neither a string nor a list of strings; ignored")
        body = []
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        warnings.append("field 'metadata' is not an object; ignored")
        metadata = None
    if metadata and _depth(metadata) > MAX_METADATA_DEPTH:
        warnings.append(f"field 'metadata' nests deeper than {MAX_METADATA_DEPTH} levels; ignored")
        metadata = None
    extra = {
        key: value
        for key, value in record.items()
        if key not in KNOWN_FIELDS and isinstance(value, (str, int, float, bool)) and value != ""
    }
    if extra:
        metadata = {**extra, **(metadata or {})}
    url = text["url"]
    supplied = _supplied_entities(record, warnings)
    return build_article(
        origin,
        title=text["title"],
        subtitle=text["subtitle"],
        byline=text["byline"],
        topic=text["topic"],
        source=outlet_for(source=text["source"], url=url, byline=text["byline"], path=origin.path),
        published=_date(record, "published", options, warnings),
        updated=_date(record, "updated", options, warnings),
        body=body,
        language=text["language"],
        url=url,
        given_id=text["id"].strip() or None,
        metadata=metadata,
        warnings=warnings,
        max_chars=options.max_article_chars,
        supplied=supplied,
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
        elif (
            isinstance(item, dict)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("country"), (str, type(None)))
        ):
            places.append(Place(item["name"], item.get("country") or None))
        else:
            warnings.append(
                f'a place {orjson.dumps(item).decode()[:60]} is neither a name nor {{"name", "country"}}; ignored'
            )
    return Entities(people=tuple(p for p in people if p.strip()), places=tuple(p for p in places if p.name.strip()))


def read_jsonl(
    path: str, stream: BinaryIO, options: ReadOptions, check: RecordCheck | None = None
) -> Iterator[Article | Problem | Unchanged]:
    """The file's articles; with `check`, a line it recognises by its bytes comes out as Unchanged."""
    records = 0
    for number, raw in enumerate(bounded_lines(stream, options.max_record_bytes), start=1):
        if raw is None:
            records += 1
            yield Problem(
                path,
                f"line {number} is over {options.max_record_bytes:,} bytes, too large to read "
                "within the memory bound; skipped",
                number,
                "warning",
            )
            continue
        if not raw.strip():
            continue
        records += 1
        key = check_record(check, path, raw)
        if isinstance(key, Unchanged):
            yield key
            continue
        note = None
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            record = orjson.loads(raw)  # bytes straight in: no decoded copy of a large line
        except orjson.JSONDecodeError as error:
            line, note = decode_bytes(raw)
            try:
                record = orjson.loads(line) if note else None
            except orjson.JSONDecodeError:
                record = None
            if record is None:
                cut = "" if raw.endswith(b"\n") else " (the file ends mid-line: truncated?)"
                yield Problem(path, f"line {number} is not valid JSON: {error}{cut}", number)
                continue
        del raw
        if not isinstance(record, dict):
            yield Problem(path, f"line {number} is a JSON {type(record).__name__}, not an object", number)
            continue
        try:
            article, problems = article_from_record(record, Origin(path, record=number, line=number), options)
        except Exception as error:  # noqa: BLE001 - one odd record costs only itself
            yield Problem(path, f"line {number} could not be read ({type(error).__name__}: {error})", number)
            continue
        if note:
            problems.insert(0, Problem(path, note, number, "warning"))
        yield from problems
        if article is not None:
            if check is not None and not problems:  # one read with warnings is read again, to say so again
                check.last = key
            yield article
    if records == 0:
        yield Problem(path, "no records: the file holds only blank lines")


def article_to_record(article: Article) -> dict:
    """An article as a JSON Lines record that `read_jsonl` reads back to the same article."""
    record: dict = {"id": article.id, "title": article.title}
    if article.subtitle:
        record["subtitle"] = article.subtitle
    if article.source:
        record["source"] = article.source
    if article.byline:
        record["byline"] = article.byline
    if article.topic:
        record["topic"] = article.topic
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
