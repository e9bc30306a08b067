"""Dates as news sources print them, parsed into timezone-aware datetimes.

Forms read: ISO 8601 ("2023-07-30T05:48:00+06:00", "2023-07-30 05:48", "2023-07-30"),
day-month-year ("30 July 2023, 05:48 AM", "17 May 2025 08:13 PM", "26-FEB-1987 15:01:01.79"),
and month-day-year ("July 30, 2023 5:48 am"). A zone printed with the time wins
("GMT+6", "UTC+06:00", "+0600", "UTC", "GMT", "Z"); otherwise the reader's default zone applies.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

from search.article import representable_in_utc

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}

_MONTH = r"(?P<month>[A-Za-z]{3,9})\.?"
_TIME = (
    r"(?:(?:,|\s+at)?\s*(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_ZONE = (
    r"\s*(?:\(?\s*(?P<zone>(?:GMT|UTC)\s*(?:[+-]\s*\d{1,2}(?::?\d{2})?)?|[+-]\d{2}:?\d{2}|Z|"
    r"BST|BDT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|IST|CET|CEST)\s*\)?)?"
)
_DAY_FIRST = re.compile(r"(?P<day>\d{1,2})(?:st|nd|rd|th)?[\s-]+" + _MONTH + r",?[\s-]+(?P<year>\d{4})" + _TIME + _ZONE)
_MONTH_FIRST = re.compile(_MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<year>\d{4})" + _TIME + _ZONE)
_ISO = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?:[T ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.\d+)?)?)?\s*(?P<zone>Z|[+-]\d{2}:?\d{2}|UTC|GMT)?"
)

# Abbreviations that are unambiguous enough in news pages; BDT is Bangladesh time here.
_NAMED_ZONES = {
    "GMT": 0,
    "UTC": 0,
    "Z": 0,
    "BST": 60,
    "BDT": 360,
    "EST": -300,
    "EDT": -240,
    "CST": -360,
    "CDT": -300,
    "MST": -420,
    "MDT": -360,
    "PST": -480,
    "PDT": -420,
    "IST": 330,
    "CET": 60,
    "CEST": 120,
}


def zone_from_text(text: str) -> tzinfo | None:
    """'GMT+6', 'UTC+06:00', '+0600', 'UTC', 'EST' -> a fixed offset; None if not a zone."""
    value = text.replace(" ", "").upper()
    for prefix in ("GMT", "UTC"):
        if value.startswith(prefix):
            value = value[len(prefix) :]
            if not value:
                return timezone.utc
            break
    else:
        if value in _NAMED_ZONES:
            return timezone(timedelta(minutes=_NAMED_ZONES[value]), value)
    sign = value[:1]
    digits = value[1:].replace(":", "")
    if sign not in "+-" or not digits.isdigit() or len(digits) not in (1, 2, 3, 4):
        return None
    if len(digits) <= 2:
        minutes = int(digits) * 60
    else:
        minutes = int(digits[:-2]) * 60 + int(digits[-2:])
    if minutes >= 24 * 60:
        return None
    minutes = minutes if sign == "+" else -minutes
    return timezone.utc if minutes == 0 else timezone(timedelta(minutes=minutes))


def _build(parts: dict, month: int, default_tz: tzinfo) -> datetime | None:
    hour = int(parts["hour"]) if parts.get("hour") else 0
    minute = int(parts["minute"]) if parts.get("minute") else 0
    second = int(parts["second"]) if parts.get("second") else 0
    ampm = (parts.get("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    zone = zone_from_text(parts["zone"]) if parts.get("zone") else None
    try:
        value = datetime(int(parts["year"]), month, int(parts["day"]), hour, minute, second, tzinfo=zone or default_tz)
    except ValueError:
        return None
    # Year 1 east of UTC or year 9999 west of it has no UTC time: unusable for sorting and ids.
    return value if representable_in_utc(value) else None


def parse_datetime(text: str, default_tz: tzinfo) -> datetime | None:
    """The first date (with its time and zone, if printed) in `text`; None if there is none."""
    if not text or not text.strip():
        return None
    value = text.strip()
    match = _ISO.match(value)
    if match:
        return _build(match.groupdict(), int(match["month"]), default_tz)
    for pattern in (_DAY_FIRST, _MONTH_FIRST):
        match = pattern.search(value)
        if match:
            month = MONTHS.get(match["month"].lower())
            if month:
                return _build(match.groupdict(), month, default_tz)
    return None
