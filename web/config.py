"""The web app's config: the settings registry (search.settings) as Flask config keys, plus the
page's own constants. One precedence: built-in defaults < DATELINE_* environment variables < overrides.

Each setting's config key is its name upper-cased (max_page_size -> MAX_PAGE_SIZE).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from search.settings import SETTINGS_BY_NAME, Limits, Settings

# Not settings anyone tunes per deployment: how the page is laid out and served.
PAGE_DEFAULTS: dict[str, Any] = {
    # Open a newer index beside the current one and swap it in, so no request waits for it.
    "REFRESH_IN_BACKGROUND": True,
    "FACET_LIMIT": 10,
    "RELATED_LIMIT": 5,
    "JSON_SORT_KEYS": False,
}


def resolve(overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Flask config: every setting (key = name upper-cased) and the page constants; a malformed
    environment value or override is a SettingsError (a ValueError) naming it."""
    given = dict(overrides or {})
    setting_overrides = {name.lower(): given.pop(name) for name in list(given) if name.lower() in SETTINGS_BY_NAME}
    settings = Settings.from_env(environ, **setting_overrides)
    config = {f.name.upper(): getattr(settings, f.name) for f in fields(Settings)}
    config["INDEX_DIR"] = str(settings.index_dir)
    return config | PAGE_DEFAULTS | given | {"SETTINGS": settings}


def limits(config: Mapping[str, Any]) -> Limits:
    """The request limits of an app's config."""
    return config["SETTINGS"].limits
