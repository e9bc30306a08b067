"""Dates as people type them in queries and filters: a year, a month or a day, read as the days it covers."""

from __future__ import annotations

import calendar
import re
from datetime import date

_PERIOD = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?$")


class NotADate(ValueError):
    """The text is not written as 2023, 2023-07 or 2023-07-14."""


def period(text: str, *, slashes: bool = True) -> tuple[date, date]:
    """The first and last day of '2023', '2023-07' or '2023-07-14' (also '2023/07/14' unless slashes=False).

    Raises NotADate when the text is not written as a date, ValueError when it is written
    as one but names no calendar day ('2023-02-30').
    """
    match = _PERIOD.match(text.strip())
    if not match or (not slashes and "/" in text):
        raise NotADate(f"{text!r} is not a date (use 2023, 2023-07 or 2023-07-14)")
    year = int(match.group(1))  # the pattern requires a year
    month, day = (int(g) if g else None for g in match.groups()[1:])
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        one = date(year, month, day)
        return one, one
    except (ValueError, calendar.IllegalMonthError) as error:
        raise ValueError(f"{text!r} is not a calendar date ({error})") from None
