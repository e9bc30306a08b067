"""Reuters-21578 SGML (reut2-0NN.sgm): many <REUTERS> stories per file, no root element.

Times: the <DATE> stamps are US Eastern time. The collection does not say so, but the data does:
stories datelined NEW YORK and WASHINGTON cluster at 08:00-18:00, LONDON at 03:00-13:00 and
TOKYO at 19:00-07:00, i.e. each city's working day seen from New York (GMT would put New York's
day at 13:00-23:00). So stamps are read in America/New_York (EST, EDT from 5 April 1987).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from search.article import Article, Origin, Problem
from search.readers.build import build_article
from search.readers.dates import MONTHS
from search.readers.options import ReadOptions
from search.readers.text import clean_text, decode_bytes

REUTERS_TIME = ZoneInfo("America/New_York")
CHUNK_BYTES = 8 * 1024 * 1024
TAG_FIELDS = ("topics", "places", "people", "orgs", "exchanges", "companies")

_STORY_END = b"</REUTERS>"
_STORY = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,3}):(\d{2}):(\d{2}))?")
_TAGS = re.compile(r"<(TOPICS|PLACES|PEOPLE|ORGS|EXCHANGES|COMPANIES)>(.*?)</\1>", re.S)
_D = re.compile(r"<D>(.*?)</D>", re.S)
_TEXT = re.compile(r"<TEXT\b([^>]*)>(.*?)(?:</TEXT>|$)", re.S)
_TITLE = re.compile(r"<TITLE>(.*?)(?:</TITLE>|\Z)", re.S)
_DATELINE = re.compile(r"<DATELINE>(.*?)</DATELINE>", re.S)
_AUTHOR = re.compile(r"<AUTHOR>(.*?)</AUTHOR>", re.S)
_BODY = re.compile(r"<BODY>(.*?)(?:</BODY>|$)", re.S)
_ANY_TAG = re.compile(r"</?[A-Z]+[^>]*>")
_CHAR_REF = re.compile(r"&#(\d+);")
_SIGN_OFF = re.compile(r"(?:\s*\bREUTER\b)+\s*\Z", re.IGNORECASE)
# Paragraphs start on an indented line (4 spaces; 1 space for table rows) or after a blank line.
_PARAGRAPH_BREAK = re.compile(r"\n(?=[ \t])|\n\s*\n")
_BYLINE = re.compile(r"^\s*by\s+", re.IGNORECASE)


def _char_ref(match: re.Match) -> str:
    code = int(match.group(1))
    return "" if code < 32 or code == 127 else chr(code)


def sgml_text(text: str) -> str:
    """SGML character references decoded; control characters (&#2; &#3; ...) removed."""
    if "&#" in text:
        text = _CHAR_REF.sub(_char_ref, text)
    if "&" in text:
        text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


def _paragraphs(body: str) -> list[str]:
    body = _SIGN_OFF.sub("", sgml_text(body).rstrip())
    return [" ".join(part.split()) for part in _PARAGRAPH_BREAK.split(body) if not part.isspace() and part]


def _stories(stream: BinaryIO) -> Iterator[tuple[str, str | None, bool]]:
    """(story text, encoding note, complete) for each <REUTERS> element, reading in chunks."""
    pending = b""
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        pending += chunk
        cut = pending.rfind(_STORY_END)
        if cut < 0:
            continue
        cut += len(_STORY_END)
        ready, pending = pending[:cut], pending[cut:]
        text, note = decode_bytes(ready)
        for match in _STORY.finditer(text):
            yield match.group(0), note if note and not match.group(0).isascii() else None, True
    if pending.strip():
        text, note = decode_bytes(pending)
        start = text.find("<REUTERS")
        if start >= 0:
            yield text[start:], note, False


def read_reuters(path: str, stream: BinaryIO, options: ReadOptions) -> Iterator[Article | Problem]:
    record = 0
    for story, note, complete in _stories(stream):
        record += 1
        head_end = story.find(">")
        attributes = dict(_ATTRIBUTE.findall(story[:head_end]))
        new_id = attributes.get("NEWID")
        warnings = [note] if note else []
        if not complete:
            warnings.append("story cut off: the file ends before </REUTERS> (truncated file?)")

        published = None
        date = _DATE.search(story)
        if date:
            day, month, year, hour, minute, second = date.groups()
            month_number = MONTHS.get(month.lower())
            try:
                published = datetime(int(year), month_number or 0, int(day), tzinfo=REUTERS_TIME)
                if hour is not None:
                    try:
                        published = published.replace(hour=int(hour), minute=int(minute), second=int(second))
                    except ValueError:
                        warnings.append("unreadable time in <DATE>; date kept, time left at 00:00")
            except ValueError:
                published = None
        if published is None:
            raw = re.search(r"<DATE>(.*?)</DATE>", story, re.S)
            warnings.append(f"unreadable date {raw.group(1).strip() if raw else ''!r}; left empty")

        metadata: dict[str, object] = {}
        for name, values in _TAGS.findall(story):
            tags = _D.findall(values)
            if tags:
                metadata[name.lower()] = tags
        for key in ("TOPICS", "LEWISSPLIT", "CGISPLIT", "OLDID", "NEWID"):
            if key in attributes:
                metadata[key.lower() if key != "TOPICS" else "topics_attribute"] = attributes[key]

        title = ""
        body: list[str] = []
        text_match = _TEXT.search(story)
        if text_match:
            text_type = dict(_ATTRIBUTE.findall(text_match.group(1))).get("TYPE", "NORM")
            content = text_match.group(2)
            if text_type != "NORM":
                metadata["text_type"] = text_type
            if (m := _TITLE.search(content)):
                title = " ".join(sgml_text(m.group(1)).split())
            if (m := _DATELINE.search(content)):
                metadata["dateline"] = " ".join(sgml_text(m.group(1)).split()).rstrip(" -")
            if (m := _AUTHOR.search(content)):
                author = " ".join(sgml_text(m.group(1)).split())
                metadata["author"] = _BYLINE.sub("", author).removesuffix(", Reuters")
            if text_type == "UNPROC":
                # Untagged text: its first line is the headline.
                lines = sgml_text(_ANY_TAG.sub("", content)).strip().split("\n", 1)
                title = " ".join(lines[0].split())
                body = _paragraphs(lines[1]) if len(lines) > 1 else []
            elif text_type != "BRIEF" and (m := _BODY.search(content)):
                body = _paragraphs(m.group(1))

        if not title.isascii():
            title = clean_text(title)
        if not all(p.isascii() for p in body):
            body = [clean_text(p) for p in body]

        if not title and not body:
            # The collection counts it as a story (it has an id and a date), so it is kept.
            title = f"(empty story NEWID {new_id})"
            warnings.append("story has no title and no text")

        article, problems = build_article(
            Origin(path, record=record),
            title=title, source="Reuters", published=published, body=body,
            native_id=f"reuters21578:{new_id}" if new_id else None,
            metadata=metadata, warnings=warnings, cleaned=True,
        )
        if not complete:
            problems.insert(0, Problem(path, "file ends in the middle of a story (truncated?)", record))
            problems = [p for p in problems if "cut off" not in p.reason]
        yield from problems
        if article is not None:
            yield article
