"""The Whoosh schema: the one contract between the indexer and the searcher."""

from __future__ import annotations

from datetime import timezone

import orjson
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import ANALYSIS_VERSION, news_analyzer
from search.article import Article, Entities, Place

# Bump when fields change; with ANALYSIS_VERSION it decides when a full rebuild is needed.
SCHEMA_VERSION = "2"
INDEX_FORMAT = f"schema{SCHEMA_VERSION}-analysis{ANALYSIS_VERSION}"

# Facet fields hold several values per article, joined by FACET_SEPARATOR (values never
# contain it: the indexer replaces commas in names). Terms are the lower-cased values;
# the stored field keeps them as written, for display.
FACET_FIELDS = ("person", "place", "country", "source")
FACET_SEPARATOR = ","

# BM25F field weights: a word in the title says more than one in the body.
FIELD_BOOSTS = {"title": 3.0, "subtitle": 1.8, "body": 1.0}


def build_schema() -> Schema:
    analyzer = news_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        content_hash=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True, field_boost=FIELD_BOOSTS["title"]),
        subtitle=TEXT(analyzer=analyzer, stored=True, phrase=True, field_boost=FIELD_BOOSTS["subtitle"]),
        body=TEXT(analyzer=analyzer, stored=True, phrase=True, field_boost=FIELD_BOOSTS["body"]),
        # Facets: exact values, searchable as field:value, counted from their postings.
        source=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        person=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        place=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        country=KEYWORD(stored=True, commas=True, lowercase=True, scorable=False),
        # Naive UTC (what Whoosh's DATETIME holds), for sorting and ranges ...
        published=DATETIME(stored=False, sortable=True),
        # ... and the times as the article gave them, ISO 8601 with their offset, for display.
        published_iso=STORED(),
        updated_iso=STORED(),
        language=ID(stored=True),
        url=STORED(),
        origin=STORED(),  # str(Origin): file path and record
        # JSON list of {"name", "country"} so a hit shows its places without rereading the corpus.
        places_json=STORED(),
        # Name keys the model called something other than a person in this article, one per
        # line: evidence for the corpus-level name map (search.entities.name_map), never shown.
        other_names=STORED(),
    )


def _facet_value(values: list[str] | tuple[str, ...]) -> str:
    # Dedupe keeping order; commas would split a value in two.
    return FACET_SEPARATOR.join(dict.fromkeys(v.replace(FACET_SEPARATOR, " ").strip() for v in values if v.strip()))


def to_document(article: Article, entities: Entities, content_hash: str | None = None) -> dict:
    """The Whoosh document for an article: what the indexer writes and the searcher reads back."""
    doc = {
        "id": article.id,
        "content_hash": content_hash or article.content_hash(),
        "title": article.title,
        "subtitle": article.subtitle,
        "body": article.body_text,  # paragraphs joined by a blank line
        "source": _facet_value([article.source]),
        "person": _facet_value(entities.people),
        "place": _facet_value([p.name for p in entities.places]),
        "country": _facet_value(entities.countries),
        "published_iso": article.published.isoformat() if article.published else None,
        "updated_iso": article.updated.isoformat() if article.updated else None,
        "language": article.language,
        "url": article.url,
        "origin": str(article.origin),
        "places_json": orjson.dumps([{"name": p.name, "country": p.country} for p in entities.places]).decode(),
        "other_names": "\n".join(entities.other_names),
    }
    if article.published:
        doc["published"] = article.published.astimezone(timezone.utc).replace(tzinfo=None)
    return {key: value for key, value in doc.items() if value not in (None, "")}


def stored_places(stored: dict) -> list[Place]:
    return [Place(p["name"], p.get("country")) for p in orjson.loads(stored.get("places_json") or "[]")]


def stored_values(stored: dict, field: str) -> list[str]:
    """A facet field's values as written, from a stored document."""
    value = stored.get(field) or ""
    return [v for v in value.split(FACET_SEPARATOR) if v]
