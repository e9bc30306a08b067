"""The longest request the documented limits allow, so the HTTP server never refuses one of them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from search.facet_registry import FACETS

# A character is at most 4 bytes of UTF-8, each sent as %XX: 12 bytes on the request line.
ENCODED_BYTES_PER_CHARACTER = 12
# Method, path, HTTP version and the short parameters (from, to, sort, page, size, ...).
REQUEST_LINE_OVERHEAD = 1024
# The largest request line gunicorn can be told to accept short of "unlimited" (its own cap).
GUNICORN_MAX_REQUEST_LINE = 8190
# Request headers: a browser sends about a dozen, a proxy adds a few; gunicorn's default is 100.
HEADER_FIELDS = 50
# One header line (name and value): gunicorn's default, room for a few KB of cookies or a long Referer.
HEADER_FIELD_BYTES = 8190


def longest_request_line(config: Mapping[str, Any]) -> int:
    """Bytes of the longest request line a valid search can need: the longest query and every facet
    value at its limit, in 4-byte characters, percent-encoded."""
    limits = config["SETTINGS"].limits
    values = len(FACETS) * limits.max_facet_values
    characters = limits.max_query_length + values * limits.max_facet_value_length
    names = sum(len(f"&{facet.name}=") for facet in FACETS) * limits.max_facet_values
    return characters * ENCODED_BYTES_PER_CHARACTER + names + REQUEST_LINE_OVERHEAD


def gunicorn_request_line_limit(config: Mapping[str, Any]) -> int:
    """gunicorn's limit_request_line: the documented limits need more than gunicorn's finite cap, so 0
    (gunicorn's "no limit"); dateline serve's worker then reads at most longest_request_line and refuses
    a longer line with 414 in the app's error shape (web/worker.py)."""
    needed = longest_request_line(config)
    return needed if needed <= GUNICORN_MAX_REQUEST_LINE else 0
