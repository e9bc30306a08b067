"""Article addresses that round-trip any id: slashes, `..`, `.json`, `?`, `#`, any length or script.

An id is percent-encoded as one path segment (its `/` becomes %2F, so no browser resolves `..`
inside it), and routed by a converter that takes the rest of the path, slashes included, since
the WSGI server decodes %2F back to `/`. An id that is a dot segment on its own ("." or "..")
cannot be a path segment at all (browsers resolve even %2E%2E): it goes in the query string.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import url_for
from werkzeug.routing import BaseConverter

DOT_SEGMENTS = (".", "..")


def encode_id(article_id: str) -> str:
    # surrogateescape: an id read from a file name that was not UTF-8 keeps its bytes.
    return quote(article_id, safe="", errors="surrogateescape")


class ArticleIdConverter(BaseConverter):
    """The rest of the path, whatever it holds (empty segments and slashes too)."""

    regex = ".+"
    part_isolating = False
    weight = 200

    def to_url(self, value: str) -> str:
        return encode_id(value)


def article_url(article_id: str, json: bool = False) -> str:
    """The article page (or its JSON) of an id; for templates and views."""
    if article_id in DOT_SEGMENTS:
        return url_for("dateline.article_json_by_query" if json else "dateline.article_page_by_query", id=article_id)
    return url_for("dateline.article_json" if json else "dateline.article_page", article_id=article_id)
