"""How the readers read: one frozen record passed to every format reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo

from search.settings import BANGLADESH_TIME, DEFAULT_MAX_ARTICLE_CHARS, DEFAULT_MAX_RECORD_BYTES

ARTICLE_FIELDS = (
    "id",
    "title",
    "subtitle",
    "source",
    "byline",
    "published",
    "updated",
    "body",
    "language",
    "url",
    "topic",
)


@dataclass(frozen=True)
class ReadOptions:
    # Zone for times printed without one (bdnews24 and Dhaka Tribune print Bangladesh time).
    default_timezone: tzinfo = BANGLADESH_TIME
    # Our field -> CSV column, for CSV layouts the readers do not know (e.g. {"body": "story"}).
    csv_columns: Mapping[str, str] | None = None
    # Larger files are reported as problems, not read.
    max_file_bytes: int = 2 * 1024**3
    # Longer articles (title, subtitle and body) are indexed cut to this many characters, with a warning.
    max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS
    # One record (a JSONL line, a CSV row, an SGML story, a one-article text file) larger than this
    # is skipped with a warning: it bounds the memory a reader needs, whatever a file holds.
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES

    def __post_init__(self) -> None:
        if self.csv_columns:
            unknown = sorted(set(self.csv_columns) - set(ARTICLE_FIELDS))
            if unknown:
                raise ValueError(f"csv_columns: unknown field(s) {', '.join(unknown)}; use {', '.join(ARTICLE_FIELDS)}")
        for name in ("max_file_bytes", "max_article_chars", "max_record_bytes"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
