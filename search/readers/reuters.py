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

from search.article import Article, Origin, Problem, representable_in_utc
from search.readers.build import build_article
from search.readers.dates import MONTHS
from search.readers.options import ReadOptions
from search.readers.text import clean_text, decode_bytes

REUTERS_TIME = ZoneInfo("America/New_York")
CHUNK_BYTES = 1024 * 1024

_STORY_END = b"</REUTERS>"
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
_DATE = re.compile(r"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:\s+(\d{1,3}):(\d{2}):(\d{2}))?")
_ANY_TAG = re.compile(r"</?[A-Z]+[^>]*>")
_CHAR_REF = re.compile(r"&#(\d+);")
# Paragraphs start on an indented line (4 spaces; 1 space for table rows) or after a blank line.
_PARAGRAPH_BREAK = re.compile(r"\n(?=[ \t])|\n\s*\n")
_BYLINE = re.compile(r"^\s*by\s+", re.IGNORECASE)
# Only non-empty tag lists: <PLACES><D>usa</D><D>uk</D></PLACES>
_FILLED_TAGS = re.compile(r"<(TOPICS|PLACES|PEOPLE|ORGS|EXCHANGES|COMPANIES)><D>(.*?)</D></\1>", re.S)
# Found with str.find, which is several times faster than regexes over each story.


def _element(text: str, tag: str, start: int = 0) -> str | None:
    """The content of the first <TAG>...</TAG> (to the end of `text` if it is cut off)."""
    opening = text.find(f"<{tag}>", start)
    if opening < 0:
        opening = text.find(f"<{tag} ", start)  # with attributes, as <TEXT TYPE="BRIEF">
        if opening < 0:
            return None
    content = text.find(">", opening) + 1
    if content == 0:
        return ""
    closing = text.find(f"</{tag}>", content)
    return text[content:] if closing < 0 else text[content:closing]


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


def _without_sign_off(body: str) -> str:
    """The body without its closing "Reuter"/"REUTER" (sometimes there twice)."""
    body = body.rstrip()
    while body[-6:].upper() == "REUTER" and (len(body) == 6 or not body[-7].isalnum()):
        body = body[:-6].rstrip()
    return body


def _paragraphs(body: str) -> list[str]:
    body = _without_sign_off(sgml_text(body))
    return [" ".join(part.split()) for part in _PARAGRAPH_BREAK.split(body) if part and not part.isspace()]


def _stories(stream: BinaryIO, limit: int) -> Iterator[tuple[str | None, str | None, bool]]:
    """(story text, encoding note, complete) for each <REUTERS> element, reading in chunks.

    A story over `limit` bytes comes out as (None, None, complete): it is dropped as it is read,
    so an unterminated story or a file of one huge story never takes more than `limit` to read.
    Each byte is searched once for the end tag: linear in the size of the file.
    """
    pending = b""
    searched = 0  # bytes of `pending` known to hold no end tag
    dropping = False  # inside a story that is over the limit: only the end tag is looked for
    keep = len(_STORY_END) - 1
    while True:
        chunk = stream.read(CHUNK_BYTES)
        if not chunk:
            break
        pending = pending[searched:] + chunk if dropping else pending + chunk
        if dropping:
            searched = 0
        cut = pending.rfind(_STORY_END, searched)
        if cut < 0:
            searched = max(0, len(pending) - keep)
            if len(pending) > limit:
                dropping = True
                pending, searched = pending[searched:], 0
            continue
        ready, pending, searched = pending[:cut], pending[cut + len(_STORY_END) :], 0
        pieces = ready.split(_STORY_END)
        if dropping:
            dropping = False
            pieces = pieces[1:]
            yield None, None, True
        for piece in pieces:
            start = piece.find(b"<REUTERS")
            if start < 0:
                continue
            if len(piece) - start > limit:
                yield None, None, True
                continue
            text, note = decode_bytes(piece[start:])
            yield text, note if note and not text.isascii() else None, True
    if dropping:
        yield None, None, False
    elif pending.strip():
        text, note = decode_bytes(pending)
        start = text.find("<REUTERS")
        if start >= 0:
            yield text[start:], note, False


def read_reuters(path: str, stream: BinaryIO, options: ReadOptions) -> Iterator[Article | Problem]:
    record = 0
    for story, note, complete in _stories(stream, options.max_record_bytes):
        record += 1
        if story is None:
            cut = "" if complete else " (and the file ends inside it)"
            yield Problem(
                path,
                f"story {record} is over {options.max_record_bytes:,} bytes, too large to read "
                f"within the memory bound{cut}; skipped",
                record,
                "warning",
            )
            continue
        try:
            yield from _story(path, record, story, note, complete, options)
        except Exception as error:  # noqa: BLE001 - one odd story costs only itself
            yield Problem(path, f"story {record} could not be read ({type(error).__name__}: {error})", record)


def _story(
    path: str, record: int, story: str, note: str | None, complete: bool, options: ReadOptions
) -> Iterator[Article | Problem]:
    head_end = story.find(">")
    attributes = dict(_ATTRIBUTE.findall(story[:head_end]))
    new_id = attributes.get("NEWID")
    warnings = [note] if note else []
    if not complete:
        warnings.append("story cut off: the file ends before </REUTERS> (truncated file?)")

    published = None
    raw_date = _element(story, "DATE")
    date = _DATE.match(raw_date) if raw_date is not None else None
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
        if published is not None and not representable_in_utc(published):
            published = None
    if published is None:
        warnings.append(f"unreadable date {(raw_date or '').strip()!r}; left empty")

    metadata: dict[str, object] = {}
    text_start = story.find("<TEXT")
    head = story if text_start < 0 else story[:text_start]
    if "<D>" in head:
        for name, values in _FILLED_TAGS.findall(head):
            metadata[name.lower()] = values.split("</D><D>")
    for key in ("TOPICS", "LEWISSPLIT", "CGISPLIT", "OLDID", "NEWID"):
        if key in attributes:
            metadata[key.lower() if key != "TOPICS" else "topics_attribute"] = attributes[key]

    title = ""
    byline = ""
    body: list[str] = []
    if text_start >= 0:
        head_close = story.find(">", text_start)
        text_type = dict(_ATTRIBUTE.findall(story[text_start:head_close])).get("TYPE", "NORM")
        content = _element(story, "TEXT", text_start) or ""
        if text_type != "NORM":
            metadata["text_type"] = text_type
        if (value := _element(content, "TITLE")) is not None:
            title = " ".join(sgml_text(value).split())
        if (value := _element(content, "DATELINE")) is not None:
            metadata["dateline"] = " ".join(sgml_text(value).split()).rstrip(" -")
        if (value := _element(content, "AUTHOR")) is not None:
            author = " ".join(sgml_text(value).split())
            byline = _BYLINE.sub("", author).removesuffix(", Reuters")
        if text_type == "UNPROC":
            # Untagged text: its first line is the headline.
            lines = sgml_text(_ANY_TAG.sub("", content)).strip().split("\n", 1)
            title = " ".join(lines[0].split())
            body = _paragraphs(lines[1]) if len(lines) > 1 else []
        elif text_type != "BRIEF" and (value := _element(content, "BODY")) is not None:
            body = _paragraphs(value[: options.max_article_chars + 1])  # build_article cuts it and says so
            # The dateline opens the story on the wire ("SALVADOR, Feb 26 - Showers ...");
            # it is the story's own place, so it stays part of the first paragraph.
            if body and metadata.get("dateline"):
                body[0] = f"{metadata['dateline']} - {body[0]}"

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
        title=title,
        source="Reuters",
        byline=byline,
        published=published,
        body=body,
        native_id=f"reuters21578:{new_id}" if new_id else None,
        metadata=metadata,
        warnings=warnings,
        cleaned=True,
        max_chars=options.max_article_chars,
    )
    if not complete:
        problems.insert(0, Problem(path, "file ends in the middle of a story (truncated?)", record))
        problems = [p for p in problems if "cut off" not in p.reason]
    yield from problems
    if article is not None:
        yield article
