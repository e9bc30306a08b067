"""Settings with one precedence everywhere: explicit argument > environment variable > default."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta, timezone, tzinfo
from pathlib import Path

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


@dataclass(frozen=True)
class Settings:
    corpus: tuple[Path, ...] = field(default_factory=lambda: (PROJECT_ROOT / "corpus",))
    index_dir: Path = PROJECT_ROOT / "index"
    # Pages that print local times without a zone (bdnews24, Dhaka Tribune) are in Bangladesh time.
    default_timezone: tzinfo = BANGLADESH_TIME
    max_article_chars: int = DEFAULT_MAX_ARTICLE_CHARS

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        corpus = env.get("DATELINE_CORPUS")
        zone = defaults.default_timezone
        if env.get("DATELINE_TIMEZONE"):
            try:
                zone = parse_utc_offset(env["DATELINE_TIMEZONE"])
            except ValueError as error:
                raise SettingsError(f"DATELINE_TIMEZONE: {error}") from None
        max_chars = defaults.max_article_chars
        if env.get("DATELINE_MAX_ARTICLE_CHARS"):
            text = env["DATELINE_MAX_ARTICLE_CHARS"].strip().replace("_", "")
            if not text.isdigit() or int(text) < 1:
                raise SettingsError(f"DATELINE_MAX_ARTICLE_CHARS: not a positive number: {text!r}")
            max_chars = int(text)
        return cls(
            corpus=tuple(Path(p) for p in corpus.split(os.pathsep) if p) if corpus else defaults.corpus,
            index_dir=Path(env["DATELINE_INDEX"]) if env.get("DATELINE_INDEX") else defaults.index_dir,
            default_timezone=zone,
            max_article_chars=max_chars,
        )
