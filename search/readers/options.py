"""How the readers read: one frozen record passed to every format reader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo

from search.settings import BANGLADESH_TIME

ARTICLE_FIELDS = ("id", "title", "subtitle", "source", "published", "updated", "body", "language", "url")


@dataclass(frozen=True)
class ReadOptions:
    # Zone for times printed without one (bdnews24 and Dhaka Tribune print Bangladesh time).
    default_timezone: tzinfo = BANGLADESH_TIME
    # Our field -> CSV column, for CSV layouts the readers do not know (e.g. {"body": "story"}).
    csv_columns: Mapping[str, str] | None = None
    # Larger files are reported as problems, not read.
    max_file_bytes: int = 2 * 1024**3

    def __post_init__(self) -> None:
        if self.csv_columns:
            unknown = sorted(set(self.csv_columns) - set(ARTICLE_FIELDS))
            if unknown:
                raise ValueError(f"csv_columns: unknown field(s) {', '.join(unknown)}; "
                                 f"use {', '.join(ARTICLE_FIELDS)}")
        if self.max_file_bytes <= 0:
            raise ValueError("max_file_bytes must be positive")
