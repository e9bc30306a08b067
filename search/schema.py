"""The Whoosh schema: the one contract between the indexer and the searcher."""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from search.analysis import ANALYSIS_VERSION, news_analyzer

# Bump when fields change; with ANALYSIS_VERSION it decides when a full rebuild is needed.
SCHEMA_VERSION = "1"
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
        published=DATETIME(stored=True, sortable=True),
        updated=STORED(),
        language=ID(stored=True),
        url=STORED(),
        origin=STORED(),
        # JSON list of {"name", "country"} so a hit shows its places without rereading the corpus.
        places_json=STORED(),
    )
