"""News page dumps: a web page saved as text, like the bdnews24 seed page.

The layout, read from its structure (blocks of lines between blank lines), not exact text:
an optional ` date YYYY-MM-DD  বাংলা` header (the site's language switch), the title, an
optional subtitle, a block with the byline and the `Published :` / `Updated :` lines, the
body paragraphs, then page noise (a RELATED STORIES block, an Opinion block) that is dropped.
The byline block ("Staff Correspondent", "Reuters") is the byline; the outlet is bdnews24.com
(the date header is its layout), or the news agency the byline names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time

from search.article import Article, Origin, Problem
from search.readers.build import build_article
from search.readers.dates import parse_datetime
from search.readers.options import ReadOptions
from search.readers.outlets import outlet_for

_EDGE_SPACE = " \t\r\n\f\v\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u200b\u202f\u205f\u2060\u3000\ufeff"
_HEADER = re.compile(r"^date\s*:?\s*(\d{4}-\d{2}-\d{2})\b", re.IGNORECASE)
_META = re.compile(r"^(published|updated|last\s+updated|posted|modified)\s*[:：]\s*(.*)$", re.IGNORECASE)
# Headings that start the page furniture after the article; everything from there on is noise.
_NOISE_HEADINGS = frozenset(
    {
        "related stories",
        "related news",
        "related articles",
        "related",
        "more stories",
        "more news",
        "opinion",
        "opinions",
        "most read",
        "most viewed",
        "most popular",
        "trending",
        "top news",
        "latest news",
        "you may also like",
        "recommended",
        "advertisement",
    }
)
_SHORT_BYLINE_WORDS = 6
_LOOKAHEAD_BLOCKS = 12  # the byline/Published block is near the top of a page


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines as (1-based line number, stripped line)."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip(_EDGE_SPACE)
        if line:
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _is_noise_heading(line: str) -> bool:
    return line.rstrip(":").strip().casefold() in _NOISE_HEADINGS


def looks_like_page(text: str) -> bool:
    """A page dump has the date header, or a Published/Updated line near the top."""
    blocks = _blocks(text[:20000])
    if not blocks:
        return False
    if _HEADER.match(blocks[0][0][1]):
        return True
    return any(_META.match(line) for block in blocks[:_LOOKAHEAD_BLOCKS] for _, line in block)


def _is_short_byline(block: list[tuple[int, str]]) -> bool:
    if len(block) != 1:
        return False
    line = block[0][1]
    return len(line.split()) <= _SHORT_BYLINE_WORDS and not line.endswith((".", "!", "?", ":"))


def read_page(path: str, text: str, options: ReadOptions) -> Iterator[Article | Problem]:
    blocks = _blocks(text)
    header_date = None
    if blocks and (match := _HEADER.match(blocks[0][0][1])):
        header_date = match.group(1)
        blocks[0] = blocks[0][1:]
        if not blocks[0]:
            blocks.pop(0)

    meta_index = next(
        (i for i, block in enumerate(blocks[:_LOOKAHEAD_BLOCKS]) if any(_META.match(line) for _, line in block)), None
    )
    byline: list[str] = []
    dates: dict[str, str] = {}
    body_lines: list[tuple[int, str]] = []
    if meta_index is None:
        head, rest = blocks[:1], blocks[1:]
    else:
        head, rest = blocks[:meta_index], blocks[meta_index + 1 :]
        seen_meta = False
        for number, line in blocks[meta_index]:
            match = _META.match(line)
            if match:
                seen_meta = True
                kind = "published" if match.group(1).lower() in ("published", "posted") else "updated"
                dates.setdefault(kind, match.group(2).strip())
            elif not seen_meta:
                byline.append(line)
            else:
                body_lines.append((number, line))  # a paragraph with no blank line before it
        if not byline and len(head) >= 2 and _is_short_byline(head[-1]):
            byline.append(head.pop()[0][1])
        if not head and len(byline) >= 2:
            # Title and byline with no blank line between them.
            head = [[blocks[meta_index][0]]]
            byline.pop(0)

    title_lines = [line for _, line in head[0]] if head else []
    title = title_lines[0] if title_lines else ""
    subtitle = " ".join(title_lines[1:] + [line for block in head[1:] for _, line in block])

    body: list[str] = [line for _, line in body_lines]
    for block in rest:
        if _is_noise_heading(block[0][1]):
            break
        stop = next((i for i, (_, line) in enumerate(block) if _is_noise_heading(line)), None)
        body.extend(line for _, line in block[:stop])
        if stop is not None:
            break

    warnings = []
    found: dict[str, datetime | None] = {}
    for kind in ("published", "updated"):
        value = dates.get(kind)
        found[kind] = parse_datetime(value, options.default_timezone) if value else None
        if value and found[kind] is None:
            warnings.append(f"unreadable {kind} date {value!r}; left empty")
    if found["published"] is None and header_date and "published" not in dates:
        day = parse_datetime(header_date, options.default_timezone)
        found["published"] = day and datetime.combine(day.date(), time(0), options.default_timezone)

    credit = ", ".join(byline)
    article, problems = build_article(
        Origin(path, line=head[0][0][0] if head else None),
        title=title,
        subtitle=subtitle,
        byline=credit,
        # The date header with its language switch is bdnews24's page layout.
        source=outlet_for(byline=credit, path=path, layout_outlet="bdnews24.com" if header_date else ""),
        published=found["published"],
        updated=found["updated"],
        body=body,
        warnings=warnings,
        metadata={"page_date": header_date} if header_date else None,
        max_chars=options.max_article_chars,
    )
    yield from problems
    if article is not None:
        yield article
