"""Jinja filters: dates for people, safe highlights, safe outbound links."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from markupsafe import Markup, escape

_MARK_TAG = re.compile(r"(</?mark>)")


def highlight(html: str | None) -> Markup:
    """Searcher output (HTML-escaped text with <mark> tags) as markup, defensively.

    Only the exact tags <mark> and </mark> survive; any other '<' or '>' is escaped, so even a
    snippet that was not escaped upstream cannot inject markup.
    """
    if not html:
        return Markup("")
    parts = _MARK_TAG.split(html)
    out = []
    open_marks = 0
    for part in parts:
        if part == "<mark>":
            open_marks += 1
            out.append(part)
        elif part == "</mark>":
            if open_marks:
                open_marks -= 1
                out.append(part)
        else:
            out.append(part.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;"))
    out.extend("</mark>" for _ in range(open_marks))
    return Markup("".join(out))


def _parse(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso)
    except ValueError:
        return None


def human_date(iso: str | None) -> str:
    """'26 Feb 1987'."""
    moment = _parse(iso)
    return f"{moment.day} {moment:%b %Y}" if moment else (iso or "")


def human_datetime(iso: str | None) -> str:
    """'26 Feb 1987, 15:01 (UTC+06:00)': the time as the article gave it, with its offset."""
    moment = _parse(iso)
    if moment is None:
        return iso or ""
    text = f"{moment.day} {moment:%b %Y, %H:%M}"
    if moment.utcoffset() is not None:
        offset = moment.strftime("%z")
        text += " (UTC)" if offset == "+0000" else f" (UTC{offset[:3]}:{offset[3:]})"
    return text


def safe_url(url: str | None) -> str | None:
    """An outbound link only when it is plain http(s): never javascript:, data: or the like."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


def number(value: int) -> str:
    return f"{value:,}"


def register_filters(app) -> None:
    app.jinja_env.filters.update(
        highlight=highlight, human_date=human_date, human_datetime=human_datetime, safe_url=safe_url, number=number
    )
    app.jinja_env.globals["escape"] = escape
