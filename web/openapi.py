"""The OpenAPI 3.1 document of the JSON API, served at /api/openapi.json.

Written by hand so it says what we promise; tests hold every JSON response against these schemas.
"""

from __future__ import annotations

from typing import Any

from search.export import COLUMNS, FORMATS
from search.facet_registry import FACETS
from search.index.columns import MAX_BARS
from search.results import FILTER_FACETS, MAX_CURSOR_LENGTH, SORTS

_nullable_string = {"type": ["string", "null"]}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "description": "Every error, whatever its status, has this shape.",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "title", "message", "parameter"],
                "additionalProperties": False,
                "properties": {
                    "status": {
                        "type": "integer",
                        "minimum": 400,
                        "maximum": 599,
                        "description": "The HTTP status code, repeated.",
                    },
                    "title": {"type": "string", "description": 'The status phrase, e.g. "Bad Request".'},
                    "message": {"type": "string", "description": "What went wrong, for a person to read."},
                    "parameter": {"type": ["string", "null"], "description": "The query parameter at fault, or null."},
                },
            }
        },
        "examples": [
            {
                "error": {
                    "status": 400,
                    "title": "Bad Request",
                    "message": "page must be a whole number, got 'abc'",
                    "parameter": "page",
                }
            }
        ],
    },
    "Place": {
        "type": "object",
        "required": ["name", "country"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "description": "Canonical place name."},
            "country": {**_nullable_string, "description": "Its country; a country is its own country."},
        },
    },
    "Version": {
        "type": "object",
        "description": "Another article of the same group of wire copies (near duplicates found at index time).",
        "required": ["id", "title", "source", "published"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "source": {"type": "string"},
            "published": _nullable_string,
        },
    },
    "Hit": {
        "type": "object",
        "required": [
            "id",
            "title",
            "title_html",
            "snippets",
            "published",
            "source",
            "people",
            "places",
            "url",
            "score",
            "updated",
            "indexed",
            "other_versions",
            "versions",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string", "description": "Plain text."},
            "title_html": {"type": "string", "description": "HTML-escaped title with matched words in <mark>."},
            "snippets": {
                "type": "array",
                "items": {"type": "string"},
                "description": "HTML-escaped fragments with matched words in <mark>.",
            },
            "published": {**_nullable_string, "description": "ISO 8601 with the article's UTC offset."},
            "source": {"type": "string"},
            "people": {"type": "array", "items": {"type": "string"}},
            "places": {"type": "array", "items": {"$ref": "#/components/schemas/Place"}},
            "url": {**_nullable_string, "description": "The article's original address, when known."},
            "score": {"type": ["number", "null"], "description": "Relevance score; null when sorted by date."},
            "updated": {**_nullable_string, "description": "When the article says it was updated (ISO 8601)."},
            "indexed": {**_nullable_string, "description": "When it was indexed (ISO 8601, UTC)."},
            "other_versions": {
                "type": "integer",
                "minimum": 0,
                "description": "Other articles of its group of wire copies in this result set.",
            },
            "versions": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Version"},
                "description": "The first ten of them, newest first.",
            },
        },
    },
    "FacetValue": {
        "type": "object",
        "required": ["value", "count", "selected"],
        "additionalProperties": False,
        "properties": {
            "value": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
            "selected": {"type": "boolean"},
        },
    },
    "DateBucket": {
        "type": "object",
        "required": ["start", "end", "label", "count"],
        "additionalProperties": False,
        "properties": {
            "start": {"type": "string", "format": "date", "description": "First day, inclusive."},
            "end": {"type": "string", "format": "date", "description": "Last day, inclusive."},
            "label": {"type": "string"},
            "count": {"type": "integer", "minimum": 0},
        },
    },
    "DateHistogram": {
        "type": "object",
        "required": ["unit", "buckets", "before", "after", "undated"],
        "additionalProperties": False,
        "properties": {
            "unit": {"enum": ["year", "month", "day"]},
            "buckets": {"type": "array", "items": {"$ref": "#/components/schemas/DateBucket"}, "maxItems": MAX_BARS},
            "before": {
                "type": "integer",
                "minimum": 0,
                "description": "Dated matches before the first bucket: outliers the bars leave out.",
            },
            "after": {"type": "integer", "minimum": 0, "description": "Dated matches after the last bucket."},
            "undated": {
                "type": "integer",
                "minimum": 0,
                "description": "Matches without a publication date (in no bucket; `undated=true` lists only them).",
            },
        },
    },
    "SearchResult": {
        "type": "object",
        "required": [
            "query",
            "interpreted_as",
            "notice",
            "total",
            "page",
            "page_size",
            "pages",
            "sort",
            "results",
            "facets",
            "dates",
            "suggestion",
            "facet_totals",
            "groups",
            "collapse",
            "next_cursor",
        ],
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string"},
            "interpreted_as": {
                **_nullable_string,
                "description": "Set when the query was read differently from how it was typed.",
            },
            "notice": {
                **_nullable_string,
                "description": "E.g. that the query could not be parsed and was read as plain words.",
            },
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 1},
            "pages": {"type": "integer", "minimum": 0},
            "sort": {"enum": list(SORTS)},
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
            "facets": {
                "type": "object",
                "description": "Values with their counts in the current result set, most frequent first.",
                "propertyNames": {"enum": list(FILTER_FACETS)},
                "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}},
            },
            "dates": {"$ref": "#/components/schemas/DateHistogram"},
            "suggestion": {
                **_nullable_string,
                "description": '"Did you mean": a corrected query, offered only when a word of the '
                "query is not in the archive and the correction finds clearly more "
                "(a quarter more and at least 3 more), or finds all the words where the "
                "query found only some.",
            },
            "facet_totals": {
                "type": "object",
                "propertyNames": {"enum": list(FILTER_FACETS)},
                "additionalProperties": {"type": "integer", "minimum": 0},
                "description": "How many values each facet has in these results (the `expand`ed facet: those "
                "containing `facet_q`); `facets` lists the first of them.",
            },
            "groups": {
                "type": "integer",
                "minimum": 0,
                "description": "Groups of wire copies in the result set (an article without copies is a "
                "group of one). With collapse, `results` and `pages` count groups; `total` "
                "and facet counts always count articles.",
            },
            "collapse": {"type": "boolean", "description": "Whether `results` shows one article per group."},
            "next_cursor": {
                **_nullable_string,
                "description": "Pass as `cursor` (with the same other parameters) for the next page; "
                "null on the last page.",
            },
            "took_ms": {"type": "number", "minimum": 0},
            "extra": {"type": "object"},
        },
    },
    "ExportRow": {
        "type": "object",
        "description": "One line of /api/search.jsonl (the columns of /api/search.csv).",
        "required": [name for name, _ in COLUMNS],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "published": _nullable_string,
            "updated": _nullable_string,
            "indexed": _nullable_string,
            "source": {"type": "string"},
            "title": {"type": "string"},
            "url": _nullable_string,
            "people": {"type": "array", "items": {"type": "string"}},
            "places": {"type": "array", "items": {"type": "string"}},
            "score": {"type": ["number", "null"]},
            "other_versions": {"type": "integer", "minimum": 0},
        },
    },
    "Article": {
        "type": "object",
        "required": [
            "id",
            "title",
            "subtitle",
            "source",
            "byline",
            "topic",
            "topics",
            "published",
            "updated",
            "body",
            "language",
            "url",
            "origin",
            "people",
            "places",
            "countries",
            "versions",
            "related",
        ],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "subtitle": {"type": "string"},
            "source": {"type": "string", "description": "The outlet or news agency."},
            "byline": {"type": "string", "description": "The author(s), as the source credits them."},
            "topic": {"type": "string", "description": 'The article\'s topics, joined by ", ".'},
            "topics": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Topic facet values: the section, topic, TOPICS or keywords the source files "
                "it under, normalised (case, plurals).",
            },
            "published": _nullable_string,
            "updated": _nullable_string,
            "body": {"type": "array", "items": {"type": "string"}, "description": "Paragraphs, plain text."},
            "language": {"type": "string"},
            "url": _nullable_string,
            "origin": {"type": "string", "description": "File (and record) the article was read from."},
            "people": {"type": "array", "items": {"type": "string"}},
            "places": {"type": "array", "items": {"$ref": "#/components/schemas/Place"}},
            "countries": {"type": "array", "items": {"type": "string"}},
            "versions": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Version"},
                "description": "The other articles of its group of wire copies, newest first.",
            },
            "related": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/Hit"},
                "description": "Articles most like this one.",
            },
        },
    },
}


SCHEMAS["EntityProfile"] = {
    "type": "object",
    "description": "What the archive says about a person or a place: /api/people/{name}, /api/places/{name}.",
    "required": [
        "facet",
        "name",
        "total",
        "dates",
        "people",
        "places",
        "countries",
        "latest",
        "relevant",
        "page",
        "search",
    ],
    "additionalProperties": False,
    "properties": {
        "facet": {"enum": ["person", "place"]},
        "name": {"type": "string", "description": "The name as the index writes it."},
        "total": {"type": "integer", "minimum": 1, "description": "Articles that name them."},
        "dates": {"$ref": "#/components/schemas/DateHistogram"},
        "people": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/FacetValue"},
            "description": "People most often named in the same articles (never the person itself).",
        },
        "places": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/FacetValue"},
            "description": "Places most often named in the same articles (never the place itself).",
        },
        "countries": {"type": "array", "items": {"$ref": "#/components/schemas/FacetValue"}},
        "latest": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}, "description": "Newest first."},
        "relevant": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Hit"},
            "description": "The articles most about them: the name as a phrase, best first (the latest "
            "when the articles never write the name as such).",
        },
        "page": {"type": "string", "description": "The HTML page's address."},
        "search": {"type": "string", "description": "The search page of every article naming them."},
    },
}


def _entity_path(folder: str, noun: str) -> dict:
    return {
        "get": {
            "operationId": folder,
            "summary": f"A {noun}'s page: articles over time, who and what is named with them, latest and most relevant",
            "description": "The name is percent-encoded as one path segment (a `/` in it is %2F); case and spacing do "
            f"not matter. The names `.` and `..` are given as `/api/{folder}/?name=..`.",
            "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": f"The {noun}'s profile.",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EntityProfile"}}},
                },
                **_errors(400, 404, 503, 500),
            },
        }
    }


def _param(name: str, description: str, schema: dict, *, repeat: bool = False) -> dict:
    if repeat:
        return {
            "name": name,
            "in": "query",
            "description": description,
            "required": False,
            "schema": {"type": "array", "items": schema},
            "style": "form",
            "explode": True,
        }
    return {"name": name, "in": "query", "description": description, "required": False, "schema": schema}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


# Text without a NUL character (the parameters refuse NUL with a 400).
NO_NUL = "^[^\\u0000]*$"


def _errors(*statuses: int) -> dict:
    text = {
        400: "A parameter is unknown, malformed or beyond a limit; `parameter` names it.",
        404: "No such article, or no article names that person or place.",
        414: "The address is longer than any valid request needs.",
        503: "No index has been built yet (run `dateline reindex`).",
        500: "An unexpected error; it was logged.",
    }
    return {str(s): _error(text[s]) for s in statuses}


def build_document(config: dict) -> dict:
    """The document, with the limits this server was configured with. Any parameter not listed
    here is refused with 400."""
    limits = config["SETTINGS"].limits
    page_size = {"type": "integer", "minimum": 1, "maximum": limits.max_page_size, "default": limits.default_page_size}
    facet_params = [
        _param(
            facet.name,
            f"Only articles with this {facet.singular.lower()} (repeat for several: values of one "
            "facet are ORed, different facets ANDed). Exact value as listed in `facets`. A value "
            "holding a NUL character is refused with 400.",
            {"type": "string", "maxLength": limits.max_facet_value_length, "pattern": NO_NUL},
            repeat=True,
        )
        for facet in FACETS
    ]
    search_params = [
        _param(
            "q",
            'Query: words, "phrases", AND/OR/NOT, field:value (title, person, place, country, '
            "source). Empty: every article, newest first. A query that cannot be parsed is searched "
            "as plain words and `notice` says so. A query holding a NUL character is refused with 400.",
            {"type": "string", "maxLength": limits.max_query_length, "pattern": NO_NUL},
        ),
        *facet_params,
        _param(
            "from",
            "First day, inclusive: YYYY-MM-DD (YYYY-MM and YYYY mean their first day).",
            {"type": "string", "examples": ["1987-03-01"]},
        ),
        _param(
            "to",
            "Last day, inclusive: YYYY-MM-DD (YYYY-MM and YYYY mean their last day). Must not be before `from`.",
            {"type": "string", "examples": ["1987-03-31"]},
        ),
        _param(
            "undated",
            "Only articles without a publication date (`dates.undated` says how many there are). "
            "Cannot be combined with `from` or `to`.",
            {"type": "boolean", "default": False},
        ),
        _param("sort", "Order; default relevance with a query, newest without.", {"enum": list(SORTS)}),
        _param(
            "page",
            "1-based page number. Beyond the last page gives an empty `results` list.",
            {"type": "integer", "minimum": 1, "maximum": limits.max_page, "default": 1},
        ),
        _param(
            "page_size",
            "Results per page (also accepted as `size`). Values beyond the limit are refused with 400, never clamped.",
            page_size,
        ),
        _param("size", "The same as `page_size` (give one of them).", page_size),
        _param(
            "facet_limit",
            "Top values returned per facet; 0 returns all.",
            {"type": "integer", "minimum": 0, "maximum": limits.max_facet_limit, "default": config["FACET_LIMIT"]},
        ),
        _param("snippets", "Whether hits carry highlighted snippets.", {"type": "boolean", "default": True}),
        _param(
            "expand",
            f"One facet listed at length: up to {limits.expanded_facet_values} values (with "
            "`facet_q`, those containing it).",
            {"enum": list(FILTER_FACETS)},
        ),
        _param(
            "facet_q",
            "Only values of the `expand`ed facet containing this text (any case): a filter over "
            "long facet lists. Needs `expand`.",
            {"type": "string", "maxLength": limits.max_facet_value_length},
        ),
        _param(
            "collapse",
            "on: one article per group of wire copies (near duplicates found at index time), "
            "the others counted in `other_versions` and listed in `versions`; `results` and "
            "`pages` then count groups. off: every article.",
            {"enum": ["on", "off", "true", "false", "1", "0"], "default": "on"},
        ),
        _param(
            "cursor",
            "Deep paging: the `next_cursor` of the previous page, passed back unchanged with the "
            "same other parameters (not with `page`). A cursor holds the index version it was made "
            "in: after a reindex it is refused with 400 (parameter `cursor`); start again from the "
            "first page. A malformed cursor is a 400 too.",
            {"type": "string", "maxLength": MAX_CURSOR_LENGTH},
        ),
        _param(
            "format",
            "json (default); csv or jsonl answer as /api/search.csv and /api/search.jsonl.",
            {"enum": ["json", *FORMATS], "default": "json"},
        ),
    ]
    export_params = [p for p in search_params if p["name"] not in ("page", "facet_limit", "snippets", "format")]
    export_description = (
        f"Every hit of the search in its order, up to {limits.export_limit} rows (DATELINE_EXPORT_LIMIT), "
        "streamed; with `cursor`, the rows after it. `page_size` is ignored. Columns: "
        + "; ".join(f"`{name}`: {text}" for name, text in COLUMNS)
        + ". Response headers: X-Total-Count (articles found), X-Next-Cursor (when rows remain beyond the limit)."
    )
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Dateline search API",
            "version": "1",
            "description": "Search a news archive by words, dates, people, places, countries and sources. "
            "Every HTML search page has this JSON twin: the same parameters, the same results. "
            "Errors of every status share the Error shape.",
        },
        "paths": {
            "/api/search": {
                "get": {
                    "operationId": "search",
                    "summary": "Search articles",
                    "parameters": search_params,
                    "responses": {
                        "200": {
                            "description": "One page of results with facets and a date histogram.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}},
                        },
                        **_errors(400, 414, 503, 500),
                    },
                }
            },
            "/api/search.csv": {
                "get": {
                    "operationId": "searchCsv",
                    "summary": 'Export a search as CSV (RFC 4180; header row; people and places joined by "; ")',
                    "description": export_description,
                    "parameters": export_params,
                    "responses": {
                        "200": {"description": "CSV rows.", "content": {"text/csv": {"schema": {"type": "string"}}}},
                        **_errors(400, 503, 500),
                    },
                }
            },
            "/api/search.jsonl": {
                "get": {
                    "operationId": "searchJsonLines",
                    "summary": "Export a search as JSON Lines (one object per hit; people and places as arrays)",
                    "description": export_description,
                    "parameters": export_params,
                    "responses": {
                        "200": {
                            "description": "One ExportRow per line.",
                            "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/ExportRow"}}},
                        },
                        **_errors(400, 503, 500),
                    },
                }
            },
            "/feed.atom": {
                "get": {
                    "operationId": "searchFeed",
                    "summary": "A search as an Atom feed: its 50 newest articles",
                    "description": "The search page's parameters (page, page_size and sort are ignored: newest "
                    "first). Entry ids are tag URIs of the article id, stable across searches and "
                    "servers; an entry's `updated` is the article's update time, else its "
                    "publication time, else (undated) when it was indexed.",
                    "parameters": [
                        p
                        for p in search_params
                        if p["name"]
                        not in ("page", "page_size", "size", "sort", "facet_limit", "snippets", "cursor", "format")
                    ],
                    "responses": {
                        "200": {
                            "description": "Atom 1.0 (RFC 4287).",
                            "content": {"application/atom+xml": {"schema": {"type": "string"}}},
                        },
                        "400": {
                            "description": "A malformed parameter (an HTML error page).",
                            "content": {"text/html": {"schema": {"type": "string"}}},
                        },
                    },
                }
            },
            "/api/articles/{id}": {
                "get": {
                    "operationId": "article",
                    "summary": "One article, whole, with related articles",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {
                        "200": {
                            "description": "The article.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Article"}}},
                        },
                        **_errors(404, 503, 500),
                    },
                }
            },
            "/api/people/{name}": _entity_path("people", "person"),
            "/api/places/{name}": _entity_path("places", "place"),
            "/api/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document",
                    "responses": {"200": {"description": "OpenAPI 3.1 document", "content": {"application/json": {}}}},
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
