"""The records that cross module boundaries: articles as read, and problems met reading them."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Literal

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Origin:
    """Where an article was read: a file, and its place inside a multi-record file."""

    path: str
    record: int | None = None  # 1-based record number in a multi-record file (CSV row, JSONL line, SGML story)
    line: int | None = None  # 1-based line where the record starts, where known

    def __str__(self) -> str:
        parts = [self.path]
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ":".join(parts[:1]) + ("" if len(parts) == 1 else " (" + ", ".join(parts[1:]) + ")")


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as read from a corpus; what the indexer and `dateline inspect` consume."""

    id: str
    title: str
    origin: Origin
    subtitle: str = ""
    source: str = ""  # the outlet or agency: "bdnews24.com", "Dhaka Tribune", "Reuters"
    byline: str = ""  # the author(s) as the source credits them: "Staff Correspondent", "Jane Doe, John Roe"
    published: datetime | None = None  # always timezone-aware when set
    updated: datetime | None = None
    body: tuple[str, ...] = ()  # paragraphs
    language: str = "en"
    url: str | None = None
    topic: str = ""  # the section or topic the source files it under (AllSides topic), as given
    # What the source itself tags (Reuters TOPICS/PLACES/PEOPLE, bdnews24 keywords):
    # kept for reference, never used as our facets.
    source_metadata: Mapping[str, object] = field(default_factory=dict, compare=False)
    warnings: tuple[str, ...] = field(default=(), compare=False)  # e.g. an unparseable date
    # People and places the record itself gives (JSON Lines `people`, `places`): used instead of
    # the model's, through the same normalisation (search.entities.extract.supplied_entities).
    supplied: Entities | None = None

    def __post_init__(self) -> None:
        for name in ("published", "updated"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"Article.{name} must be timezone-aware, got {value!r}")
            if value is not None and not representable_in_utc(value):
                raise ValueError(f"Article.{name} cannot be expressed in UTC: {value.isoformat()}")

    @property
    def text(self) -> str:
        """Title, subtitle and body: the text entities are taken from (never page noise)."""
        return "\n\n".join(part for part in (self.title, self.subtitle, *self.body) if part)

    @property
    def body_text(self) -> str:
        return "\n\n".join(self.body)

    def content_hash(self) -> str:
        """Changes whenever anything indexed about the article changes."""
        h = hashlib.blake2b(digest_size=16)
        for part in (
            self.title,
            self.subtitle,
            self.source,
            self.byline,
            self.topic,
            _iso(self.published),
            _iso(self.updated),
            self.language,
            self.url or "",
            *self.body,
        ):
            h.update(part.encode("utf-8", "surrogatepass"))
            h.update(b"\x1f")
        if self.supplied is not None:  # a record's own people and places are indexed too
            h.update(repr((self.supplied.people, self.supplied.places)).encode("utf-8", "surrogatepass"))
        return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a reader could not read, or read only in part; reported, never fatal."""

    path: str
    reason: str
    record: int | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = self.path if self.record is None else f"{self.path} (record {self.record})"
        return f"{self.severity}: {where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Place:
    """A place an article names, under one canonical name, with its country when known."""

    name: str  # "Bakhmut", "North Korea", "United States"
    country: str | None  # "Ukraine", "North Korea", "United States"; a country is its own country


@dataclass(frozen=True, slots=True)
class Entities:
    """The people and places an article itself names (title, subtitle, body: never page noise)."""

    people: tuple[str, ...] = ()
    places: tuple[Place, ...] = ()
    # Name keys the model gave another label than person here (ORG, GPE, ...): the evidence the
    # corpus-level name map weighs to decide what is a person (search.entities.name_map).
    other_names: tuple[str, ...] = ()
    # Single words named once, with no title and no fuller form here ("Messi", "Pfizer"): shown
    # only when the corpus joins them to a full name (search.entities.name_map).
    partial_people: tuple[str, ...] = ()

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.country for p in self.places if p.country))


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\udc80-\udcff]")


def printable(text: str) -> str:
    """Text safe to print and to encode as UTF-8: bytes of a file name that were not UTF-8
    (kept by Python as lone surrogates) and control characters (terminal escapes, line
    breaks) become visible escapes: "bad-\\xff.txt", "a\\x1b[31m"."""
    if text.isprintable() and not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return (
        f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"
    )


def representable_in_utc(value: datetime) -> bool:
    """Whether an aware time converts to UTC (0001-01-01T00:00+06:00 falls before year 1)."""
    try:
        value.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return False
    return True


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _normal_key(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def article_id(
    *,
    url: str | None = None,
    native_id: str | None = None,
    title: str = "",
    published: datetime | None = None,
    body: tuple[str, ...] | list[str] = (),
) -> str:
    """A stable id from what identifies the story, never from where it was read.

    The first that is known wins: the URL; an id the source itself assigns
    (e.g. "reuters21578:NEWID"); the title with the publication minute in UTC;
    the title with the start of the body.
    """
    if url:
        key = "url\x1f" + url.strip()
    elif native_id:
        key = "native\x1f" + native_id
    elif published is not None:
        minute = published.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M")
        key = f"title\x1f{_normal_key(title)}\x1f{minute}"
    else:
        key = f"text\x1f{_normal_key(title)}\x1f{_normal_key(' '.join(body))[:500]}"
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()
