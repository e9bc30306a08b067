"""Every setting in one registry, with one precedence everywhere: explicit > environment variable > default.

`SETTINGS` lists each setting once (name, type, default, environment variable, help); the CLI, the
web app and the searcher all read `Settings`, built from it. The README's settings table is this
registry (tests/test_settings.py holds them together).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

# The folder that holds search/, web/, corpus/ and index/ in a checkout.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

BANGLADESH_TIME = timezone(timedelta(hours=6), "+06:00")
# Articles longer than this (characters of title, subtitle and body) are indexed cut, with a warning:
# no real news story is near it, and one huge record must not stall analysis or the writer.
DEFAULT_MAX_ARTICLE_CHARS = 5_000_000
# A single record larger than this is skipped with a warning (it bounds a reader's memory).
DEFAULT_MAX_RECORD_BYTES = 32 * 1024 * 1024


class SettingsError(ValueError):
    """A malformed setting; the message names the variable and is shown as one line."""


def parse_utc_offset(text: str) -> tzinfo:
    """'+06:00', '-0500', 'UTC' or an IANA name such as 'Asia/Dhaka'."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = text.strip()
    if value.upper() in ("UTC", "Z", "GMT"):
        return timezone.utc
    sign = value[:1]
    digits = value[1:].replace(":", "")
    if sign in "+-" and digits.isdigit() and len(digits) in (2, 4):
        minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
        return timezone(timedelta(minutes=minutes if sign == "+" else -minutes), value)
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(f"unknown time zone {text!r} (use +HH:MM, UTC or an IANA name)") from error


def _paths(text: str) -> tuple[Path, ...]:
    return tuple(Path(p) for p in text.split(os.pathsep) if p)


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"must be an integer, got {text!r}") from None


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"must be a number, got {text!r}") from None


@dataclass(frozen=True)
class Setting:
    name: str  # attribute of Settings; upper-cased, the web app's config key
    parse: Callable[[str], Any]  # environment text -> value; ValueError with a reason
    default: Any
    env: str
    help: str
    minimum: float | None = None  # numbers below are refused


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "corpus", _paths, (PROJECT_ROOT / "corpus",), "DATELINE_CORPUS", "corpus folders or files, separated by `:`"
    ),
    Setting("index_dir", Path, PROJECT_ROOT / "index", "DATELINE_INDEX", "index folder"),
    # Pages that print local times without a zone (bdnews24, Dhaka Tribune) are in Bangladesh time.
    Setting(
        "default_timezone",
        parse_utc_offset,
        BANGLADESH_TIME,
        "DATELINE_TIMEZONE",
        "zone of times printed without one (`+06:00`, `UTC`, `Asia/Dhaka`)",
    ),
    Setting(
        "max_article_chars",
        _integer,
        DEFAULT_MAX_ARTICLE_CHARS,
        "DATELINE_MAX_ARTICLE_CHARS",
        "longer articles are indexed cut to this many characters, with a warning",
        minimum=1,
    ),
    Setting("default_page_size", _integer, 10, "DATELINE_PAGE_SIZE", "results per page", minimum=1),
    Setting("max_page_size", _integer, 100, "DATELINE_MAX_PAGE_SIZE", "the cap on `page_size`", minimum=1),
    Setting("max_query_length", _integer, 1000, "DATELINE_MAX_QUERY_LENGTH", "longest query, in characters", minimum=1),
    # Deep pages cost a sort of page * page_size hits; nobody reads page 1001 of a result list.
    Setting("max_page", _integer, 1000, "DATELINE_MAX_PAGE", "deepest page", minimum=1),
    # Rendered pages and JSON (bytes, ~35 KB at most) kept per index version and worker process.
    Setting(
        "cache_size",
        _integer,
        4096,
        "DATELINE_CACHE_SIZE",
        "rendered searches kept per server process (0: none)",
        minimum=0,
    ),
    # An export (CSV, JSON Lines) is one sort of the whole result and one stored-field read per row.
    Setting(
        "export_limit", _integer, 10_000, "DATELINE_EXPORT_LIMIT", "most rows in an export (CSV, JSON Lines)", minimum=1
    ),
    # A few huge pages (an article with 10,000 dates once did 3 MB a page) must not grow a worker.
    Setting(
        "cache_mb",
        _number,
        64,
        "DATELINE_CACHE_MB",
        "megabytes of rendered pages and results kept per server process, in each of its two caches",
        minimum=0,
    ),
    # A rebuild is batch work on the machine that serves searches: it yields the CPU to them.
    Setting(
        "reindex_nice",
        _integer,
        10,
        "DATELINE_REINDEX_NICE",
        "niceness `dateline reindex` gives itself, so searches served meanwhile stay fast (0: none)",
        minimum=0,
    ),
    Setting(
        "refresh_interval",
        _number,
        1.0,
        "DATELINE_REFRESH_INTERVAL",
        "seconds between checks for a newer index",
        minimum=0,
    ),
    # Unset: the embedded Whoosh index in index_dir. Set: a search cluster (search.cluster).
    Setting(
        "engine",
        Path,
        None,
        "DATELINE_ENGINE",
        "a search cluster's `cluster.toml` to use instead of the embedded index",
    ),
)
SETTINGS_BY_NAME = {setting.name: setting for setting in SETTINGS}


@dataclass(frozen=True)
class Limits:
    """Every request limit: the front ends refuse beyond them, the searcher never exceeds them.
    The first five are settings (above); the rest are fixed."""

    default_page_size: int = SETTINGS_BY_NAME["default_page_size"].default
    max_page_size: int = SETTINGS_BY_NAME["max_page_size"].default
    max_query_length: int = SETTINGS_BY_NAME["max_query_length"].default
    max_page: int = SETTINGS_BY_NAME["max_page"].default
    export_limit: int = SETTINGS_BY_NAME["export_limit"].default
    # Facet values are names; nobody needs more of them, and each one is a filter clause.
    max_facet_values: int = 50  # selected values per facet
    max_facet_value_length: int = 200
    max_facet_limit: int = 1000  # values listed per facet (0 lists all)
    expanded_facet_values: int = 100  # values listed for the expanded facet; facet_q narrows them


@dataclass(frozen=True)
class Settings:
    corpus: tuple[Path, ...] = SETTINGS_BY_NAME["corpus"].default
    index_dir: Path = SETTINGS_BY_NAME["index_dir"].default
    default_timezone: tzinfo = SETTINGS_BY_NAME["default_timezone"].default
    max_article_chars: int = SETTINGS_BY_NAME["max_article_chars"].default
    default_page_size: int = SETTINGS_BY_NAME["default_page_size"].default
    max_page_size: int = SETTINGS_BY_NAME["max_page_size"].default
    max_query_length: int = SETTINGS_BY_NAME["max_query_length"].default
    max_page: int = SETTINGS_BY_NAME["max_page"].default
    cache_size: int = SETTINGS_BY_NAME["cache_size"].default
    export_limit: int = SETTINGS_BY_NAME["export_limit"].default
    cache_mb: float = SETTINGS_BY_NAME["cache_mb"].default
    reindex_nice: int = SETTINGS_BY_NAME["reindex_nice"].default
    refresh_interval: float = SETTINGS_BY_NAME["refresh_interval"].default
    engine: Path | None = SETTINGS_BY_NAME["engine"].default

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir))  # an override may be a str
        for setting in SETTINGS:
            value = getattr(self, setting.name)
            if setting.minimum is not None and value < setting.minimum:
                raise SettingsError(f"{setting.env}: must be at least {setting.minimum:g}, got {value!r}")
        if self.default_page_size > self.max_page_size:
            # A default above the cap would make every plain search a 400.
            object.__setattr__(self, "default_page_size", self.max_page_size)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The defaults, replaced by the environment's values, replaced by `overrides`; a
        malformed value is a SettingsError naming the variable. An empty variable is unset."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env, "").strip()
            if not raw:
                continue
            try:
                values[setting.name] = setting.parse(raw)
            except ValueError as error:
                raise SettingsError(f"{setting.env}: {error}") from None
        return cls(**(values | overrides))

    @property
    def limits(self) -> Limits:
        return Limits(**{f.name: getattr(self, f.name) for f in fields(Limits) if f.name in SETTINGS_BY_NAME})
