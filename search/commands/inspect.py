"""`dateline inspect`: what the readers make of files, article by article, before indexing.

Text mode prints each article's fields, body size and warnings; problems appear in the stream
where they were met. With --json, stdout carries one JSON object per line: an article, or a
problem as {"problem": {...}}; either way the closing summary goes to stderr.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import textwrap
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import orjson

from search.article import Article, Entities, Problem, printable
from search.cli import CommandError
from search.readers import ReadOptions, ReadReport, read_corpus
from search.settings import Settings

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
LABEL_WIDTH = 11


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "inspect",
        help="show articles as the readers read them",
        description="Read files or folders (page dumps, JSON Lines, CSV, Reuters SGML, plain text) and "
        "show each article as it would be indexed, with any problems met. "
        "Problems are part of the output stream; a summary goes to stderr.",
    )
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: DATELINE_CORPUS or corpus/)"
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per line: each article, and each problem as {"problem": {...}}',
    )
    parser.add_argument(
        "--entities", action="store_true", help="also show the people and places found in each article (slower)"
    )
    parser.add_argument("--limit", type=int, default=None, metavar="N", help="stop after N articles")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    paths = list(args.paths) or list(settings.corpus)
    missing = [str(p) for p in paths if not p.exists() and not p.is_symlink()]
    if missing:
        raise CommandError(f"no such file or directory: {', '.join(missing)}")
    if args.limit is not None and args.limit < 1:
        raise CommandError("--limit must be 1 or more")

    report = ReadReport()
    stream = report.track(
        read_corpus(
            paths, ReadOptions(default_timezone=settings.default_timezone, max_article_chars=settings.max_article_chars)
        )
    )
    items = _with_entities(stream) if args.entities else ((item, None) for item in stream)
    write = sys.stdout.write
    shown = 0
    for item, entities in items:
        if isinstance(item, Problem):
            write(_problem_json(item) if args.json else _problem_text(item))
            continue
        shown += 1
        write(_article_json(item, entities) if args.json else _article_text(item, entities, shown))
        if args.limit is not None and shown >= args.limit:
            break
    sys.stdout.flush()

    stopped = " (stopped at --limit)" if args.limit is not None and shown >= args.limit else ""
    print(f"dateline inspect: {report.summary()}{stopped}", file=sys.stderr)
    if report.articles == 0:
        raise CommandError(f"nothing readable in {', '.join(map(str, paths))}")
    return 0


def _with_entities(stream: Iterable[Article | Problem]) -> Iterator[tuple[Article | Problem, Entities | None]]:
    """The stream in its order, articles paired with their entities (the extractor reads ahead)."""
    from search.entities.extract import EntityExtractor  # spaCy loads only when --entities asks for it

    pending: deque[Article | Problem] = deque()

    def articles() -> Iterator[Article]:
        for item in stream:
            pending.append(item)
            if isinstance(item, Article):
                yield item

    for entities in EntityExtractor(workers=1).extract_many(articles()):
        while isinstance(pending[0], Problem):
            yield pending.popleft(), None
        yield pending.popleft(), entities
    while pending:
        yield pending.popleft(), None


# --- JSON -------------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def article_dict(article: Article, entities: Entities | None = None) -> dict:
    data: dict[str, object] = {
        "id": article.id,
        "title": article.title,
        "subtitle": article.subtitle,
        "source": article.source,
        "byline": article.byline,
        "topic": article.topic,
        "published": _iso(article.published),
        "updated": _iso(article.updated),
        "language": article.language,
        "url": article.url,
        "body": list(article.body),
        "paragraphs": len(article.body),
        "characters": sum(len(p) for p in article.body),
        "origin": {
            "path": printable(article.origin.path),
            "record": article.origin.record,
            "line": article.origin.line,
        },
        "source_metadata": dict(article.source_metadata),
        "warnings": list(article.warnings),
    }
    if entities is not None:
        data["people"] = list(entities.people)
        data["places"] = [{"name": p.name, "country": p.country} for p in entities.places]
    return data


def _article_json(article: Article, entities: Entities | None) -> str:
    try:
        return orjson.dumps(article_dict(article, entities), default=str).decode() + "\n"
    except orjson.JSONEncodeError as error:  # e.g. metadata that JSON cannot hold: the stream goes on
        return _problem_json(
            Problem(
                article.origin.path, f"article {article.id} cannot be shown as JSON: {error}", article.origin.record
            )
        )


def _problem_json(problem: Problem) -> str:
    return (
        orjson.dumps(
            {
                "problem": {
                    "path": printable(problem.path),
                    "reason": problem.reason,
                    "record": problem.record,
                    "severity": problem.severity,
                }
            }
        ).decode()
        + "\n"
    )


# --- text -------------------------------------------------------------------------------------


def _safe(text: str) -> str:
    return _CONTROL.sub("?", text)


def _field(label: str, value: str, width: int) -> str:
    indent = " " * (LABEL_WIDTH + 3)
    lines = textwrap.wrap(_safe(value), width=max(30, width - len(indent)), break_long_words=True) or [""]
    head = f"   {label:<{LABEL_WIDTH}}{lines[0]}"
    return "\n".join([head, *(indent + line for line in lines[1:])]) + "\n"


def _when(value: datetime | None) -> str:
    return value.isoformat(sep=" ", timespec="minutes") if value else "-"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _metadata(value: object) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _article_text(article: Article, entities: Entities | None, number: int) -> str:
    width = min(shutil.get_terminal_size((100, 24)).columns, 120)
    characters = sum(len(p) for p in article.body)
    parts = [
        f"\n{number}. {_safe(article.title)}\n",
        _field("id", article.id, width),
        _field("from", printable(str(article.origin)), width),
    ]
    if article.subtitle:
        parts.append(_field("subtitle", article.subtitle, width))
    parts.append(_field("source", article.source or "-", width))
    if article.byline:
        parts.append(_field("byline", article.byline, width))
    if article.topic:
        parts.append(_field("topic", article.topic, width))
    parts.append(_field("published", _when(article.published), width))
    if article.updated and article.updated != article.published:
        parts.append(_field("updated", _when(article.updated), width))
    if article.url:
        parts.append(_field("url", article.url, width))
    if article.language != "en":
        parts.append(_field("language", article.language, width))
    parts.append(
        _field(
            "body", f"{len(article.body)} paragraph{'s' * (len(article.body) != 1)}, {characters:,} characters", width
        )
    )
    if article.body:
        parts.append(_field("", _shorten(article.body[0], 240), width))
    for key, value in article.source_metadata.items():
        parts.append(_field(key, _shorten(_metadata(value), 300), width))
    if entities is not None:
        parts.append(_field("people", ", ".join(entities.people) or "-", width))
        places = [
            p.name if not p.country or p.country == p.name else f"{p.name} ({p.country})" for p in entities.places
        ]
        parts.append(_field("places", ", ".join(places) or "-", width))
    for warning in article.warnings:
        parts.append(_field("warning", warning, width))
    return "".join(parts)


def _problem_text(problem: Problem) -> str:
    return f"\n{printable(str(problem))}\n"  # one line, escaped as `dateline reindex` prints it
