"""The Whoosh schema: the one contract between the indexer and the searcher."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

import orjson
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import ANALYSIS_VERSION, news_analyzer
from search.article import Article, Entities, Origin, Place
from search.facet_registry import FACET_FIELDS, FACETS

# Bump when fields change; with ANALYSIS_VERSION it decides when a full rebuild is needed.
# 2: the origin stored as path, record and line (was str(Origin)). 3: byline and topic.
# 4: topic is a facet (search.topics), its values normalised.
# 5: other_names, the evidence of the corpus-level person name map; person_partial, single names
# that only the corpus-level name map may show.
# 6: indexed_iso, when it was indexed.
SCHEMA_VERSION = "6"
INDEX_FORMAT = f"schema{SCHEMA_VERSION}-analysis{ANALYSIS_VERSION}"

# Facet fields (search.facet_registry) hold several values per article, joined by
# FACET_SEPARATOR (values never contain it: the indexer replaces commas in names). Terms are the
# lower-cased values; the stored field keeps them as written, for display.
FACET_SEPARATOR = ","

# The fields free text is searched in, and their BM25F weights: a word in the title says more
# than one in the body. The weights are applied here, at index time, inside BM25's term-frequency
# saturation (search.engine.ranking), so queries carry no field boosts of their own: boosting
# again at query time would count them twice.
TEXT_FIELDS: tuple[str, ...] = ("title", "subtitle", "body")
FIELD_BOOSTS = {"title": 3.0, "subtitle": 1.8, "body": 1.0}


def build_schema() -> Schema:
    analyzer = news_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        content_hash=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True, field_boost=FIELD_BOOSTS["title"]),
        subtitle=TEXT(analyzer=analyzer, stored=True, phrase=True, field_boost=FIELD_BOOSTS["subtitle"]),
        body=TEXT(analyzer=analyzer, stored=True, phrase=True, field_boost=FIELD_BOOSTS["body"]),
        # The author(s): words, searchable as byline:rahman (not a facet: bylines are too varied).
        byline=TEXT(analyzer=analyzer, stored=True),
        # Facets: exact values, searchable as field:value, counted from their postings.
        **{facet.field: KEYWORD(stored=True, commas=True, lowercase=True, scorable=False) for facet in FACETS},
        # Naive UTC (what Whoosh's DATETIME holds), for sorting and ranges ...
        published=DATETIME(stored=False, sortable=True),
        # ... and the times as the article gave them, ISO 8601 with their offset, for display.
        published_iso=STORED(),
        updated_iso=STORED(),
        indexed_iso=STORED(),  # when the article was (re)indexed: an undated article's time in feeds
        language=ID(stored=True),
        url=STORED(),
        # Where the article was read (Origin): the file, and the record and line inside it.
        origin_path=STORED(),
        origin_record=STORED(),
        origin_line=STORED(),
        # JSON list of {"name", "country"} so a hit shows its places without rereading the corpus.
        places_json=STORED(),
        # Name keys the model called something other than a person in this article, one per
        # line: evidence for the corpus-level name map (search.entities.name_map), never shown.
        other_names=STORED(),
        # Single names too weak to show alone, one per line (Entities.partial_people).
        person_partial=STORED(),
    )


def _facet_value(values: Sequence[str]) -> str:
    # Dedupe keeping order; commas would split a value in two.
    return FACET_SEPARATOR.join(dict.fromkeys(v.replace(FACET_SEPARATOR, " ").strip() for v in values if v.strip()))


def to_document(article: Article, entities: Entities, content_hash: str | None = None) -> dict:
    """The Whoosh document for an article: what the indexer writes and the searcher reads back."""
    doc: dict[str, Any] = {
        "id": article.id,
        "content_hash": content_hash or article.content_hash(),
        "title": article.title,
        "subtitle": article.subtitle,
        "body": article.body_text,  # paragraphs joined by a blank line
        **{facet.field: _facet_value(facet.values(article, entities)) for facet in FACETS},
        "byline": article.byline,
        "published_iso": article.published.isoformat() if article.published else None,
        "updated_iso": article.updated.isoformat() if article.updated else None,
        "indexed_iso": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "language": article.language,
        "url": article.url,
        "origin_path": article.origin.path,
        "origin_record": article.origin.record,
        "origin_line": article.origin.line,
        "places_json": orjson.dumps([{"name": p.name, "country": p.country} for p in entities.places]).decode(),
        "other_names": "\n".join(entities.other_names),
        "person_partial": "\n".join(entities.partial_people),
    }
    if article.published:
        doc["published"] = article.published.astimezone(timezone.utc).replace(tzinfo=None)
    return {key: value for key, value in doc.items() if value not in (None, "")}


def stored_values(stored: Mapping[str, Any], field: str) -> list[str]:
    """A facet field's values as written, from a stored document."""
    value = stored.get(field) or ""
    return [v for v in value.split(FACET_SEPARATOR) if v]


@dataclass(frozen=True)
class StoredArticle:
    """An indexed article as the index stores it; decoded from the stored fields here and nowhere else."""

    id: str
    content_hash: str
    title: str
    subtitle: str
    body: str  # paragraphs joined by a blank line
    source: str  # the outlet or agency
    byline: str  # the author(s)
    topic: str
    facets: Mapping[str, tuple[str, ...]]  # facet field -> its values as written
    published_iso: str | None  # ISO 8601 with the article's own offset
    updated_iso: str | None
    language: str
    url: str | None
    origin: Origin
    places_json: str = "[]"
    indexed_iso: str | None = None  # when it was indexed (None in an index of schema 2)

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> StoredArticle:
        return cls(
            id=stored["id"],
            content_hash=stored.get("content_hash", ""),
            title=stored.get("title", ""),
            subtitle=stored.get("subtitle", ""),
            body=stored.get("body") or "",
            source=stored.get("source", ""),
            byline=stored.get("byline", ""),
            topic=", ".join(stored_values(stored, "topic")),
            facets={name: tuple(stored_values(stored, name)) for name in FACET_FIELDS},
            published_iso=stored.get("published_iso"),
            updated_iso=stored.get("updated_iso"),
            language=stored.get("language", ""),
            url=stored.get("url"),
            # An index of schema 1 kept str(Origin); it is shown as written until the automatic rebuild.
            origin=Origin(
                stored.get("origin_path") or stored.get("origin", ""),
                stored.get("origin_record"),
                stored.get("origin_line"),
            ),
            places_json=stored.get("places_json") or "[]",
            indexed_iso=stored.get("indexed_iso"),
        )

    @cached_property
    def places(self) -> tuple[Place, ...]:
        # Decoded on first use: opening an index reads every document's facets, never its places.
        return tuple(Place(p["name"], p.get("country")) for p in orjson.loads(self.places_json))

    @property
    def people(self) -> tuple[str, ...]:
        return self.facets["person"]

    @property
    def countries(self) -> tuple[str, ...]:
        return self.facets["country"]

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]

    @property
    def published(self) -> datetime | None:
        """The publication time as the article gave it; None when missing or unreadable."""
        if not self.published_iso:
            return None
        try:
            return datetime.fromisoformat(self.published_iso)
        except ValueError:
            return None
