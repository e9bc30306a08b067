"""Web settings with one precedence: built-in defaults < environment variables < explicit overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from search.results import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_QUERY_LENGTH
from search.settings import Settings

from web.index_access import DEFAULT_CACHE_BYTES

# Flask config key -> (environment variable, type). INDEX_DIR comes from search.settings so
# `dateline search` and `dateline serve` agree on DATELINE_INDEX.
ENVIRONMENT: dict[str, tuple[str, type]] = {
    "MAX_PAGE_SIZE": ("DATELINE_MAX_PAGE_SIZE", int),
    "DEFAULT_PAGE_SIZE": ("DATELINE_PAGE_SIZE", int),
    "MAX_QUERY_LENGTH": ("DATELINE_MAX_QUERY_LENGTH", int),
    "MAX_PAGE": ("DATELINE_MAX_PAGE", int),
    "REFRESH_INTERVAL": ("DATELINE_REFRESH_INTERVAL", float),
    "CACHE_SIZE": ("DATELINE_CACHE_SIZE", int),
    "CACHE_BYTES": ("DATELINE_CACHE_BYTES", int),
}


def defaults() -> dict[str, Any]:
    return {
        "INDEX_DIR": str(Settings().index_dir),
        "MAX_PAGE_SIZE": MAX_PAGE_SIZE,
        "DEFAULT_PAGE_SIZE": DEFAULT_PAGE_SIZE,
        "MAX_QUERY_LENGTH": MAX_QUERY_LENGTH,
        # Deep pages cost a sort of page * size hits; nobody reads page 1001 of a result list.
        "MAX_PAGE": 1000,
        # Seconds between checks for a newer index generation (0: every request).
        "REFRESH_INTERVAL": 1.0,
        # Open a newer index beside the current one and swap it in, so no request waits for it.
        "REFRESH_IN_BACKGROUND": True,
        # Rendered pages and JSON (bytes, ~35 KB at most) and related lists kept per index version and
        # worker process (0: no cache). A few thousand cover the popular searches and their clicks.
        "CACHE_SIZE": 4096,
        # ... and at most this many bytes of them (each of the page and the result cache), whatever
        # the pages weigh.
        "CACHE_BYTES": DEFAULT_CACHE_BYTES,
        "FACET_LIMIT": 10,
        "RELATED_LIMIT": 5,
        "JSON_SORT_KEYS": False,
    }


def from_environment(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The settings the environment gives; a malformed value is an error naming the variable."""
    env = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    if env.get("DATELINE_INDEX"):
        found["INDEX_DIR"] = str(Settings.from_env(dict(env)).index_dir)
    for key, (variable, kind) in ENVIRONMENT.items():
        raw = env.get(variable, "").strip()
        if not raw:
            continue
        try:
            found[key] = kind(raw)
        except ValueError:
            raise ValueError(f"{variable} must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
    return found


def resolve(overrides: Mapping[str, Any] | None = None,
            environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    config = defaults() | from_environment(environ) | dict(overrides or {})
    config["INDEX_DIR"] = str(Path(config["INDEX_DIR"]))
    for key in ("MAX_PAGE_SIZE", "DEFAULT_PAGE_SIZE", "MAX_QUERY_LENGTH", "MAX_PAGE"):
        if int(config[key]) < 1:
            raise ValueError(f"{key} must be at least 1, got {config[key]!r}")
    if config["DEFAULT_PAGE_SIZE"] > config["MAX_PAGE_SIZE"]:
        config["DEFAULT_PAGE_SIZE"] = config["MAX_PAGE_SIZE"]
    return config
