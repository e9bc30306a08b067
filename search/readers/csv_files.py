"""CSV with a header row: one article per row.

Known columns map to article fields out of the box (bdnews24: title,time,summary,details,keywords;
Dhaka Tribune: url,title,date,content,category); ReadOptions.csv_columns maps other layouts.
Columns that are not article fields are kept in source_metadata under their header name.

Rows that repeat an article (same article id: the URL, else title + publication minute) are read
once, keeping the most complete copy, across all CSV files of one read. That takes two passes:
`best_rows` remembers id -> best (completeness, file, row), then `read_csv` emits the winners.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from search.article import Article, Origin, Problem, article_id
from search.readers.build import build_article
from search.readers.dates import parse_datetime
from search.readers.options import ReadOptions
from search.readers.outlets import outlet_for
from search.readers.streams import bounded_lines
from search.readers.text import clean_text, decode_bytes, repair_text

KNOWN_COLUMNS = {
    "id": ("id",),
    "title": ("title", "headline", "heading"),
    "subtitle": ("subtitle", "summary", "standfirst", "description", "lead", "dek"),
    "source": ("source", "outlet", "publisher", "agency"),
    "byline": ("byline", "author", "authors", "writer"),
    "topic": ("topic", "category", "section"),
    "published": ("published", "time", "date", "datetime", "published_at", "pubdate", "publish_date"),
    "updated": ("updated", "modified", "updated_at"),
    "body": ("body", "details", "content", "text", "article", "story"),
    "language": ("language", "lang"),
    "url": ("url", "link"),
}
LIST_COLUMNS = frozenset({"keywords", "tags"})
_BREAK_CANDIDATE = re.compile(r"[ \t\u00a0]{2,}")
_SENTENCE_END = frozenset('.!?”"’)]')


def split_run_in_text(text: str) -> list[str]:
    """Paragraphs of a body flattened into one field.

    Blank lines separate paragraphs; a single line break is a leftover HTML wrap (a space).
    A run of two or more spaces marks a paragraph or photo-caption break (bdnews24) when it
    holds at least two plain spaces or follows the end of a sentence; a lone NBSP beside a
    space ("the\u00a0 government") is just a space.
    """
    paragraphs: list[str] = []
    for chunk in re.split(r"\r?\n[ \t\u00a0]*\r?\n", text):
        chunk = chunk.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")
        start = 0
        for match in _BREAK_CANDIDATE.finditer(chunk):
            before = chunk[match.start() - 1] if match.start() else ""
            if match.group(0).count(" ") >= 2 or before in _SENTENCE_END:
                paragraphs.append(chunk[start : match.start()])
                start = match.end()
        paragraphs.append(chunk[start:])
    return [p for p in paragraphs if p.strip()]


# bdnews24's CSV exports (title,time,summary,details[,keywords]) name no outlet: the layout is its own.
_BDNEWS24_LAYOUT = frozenset({"title", "time", "summary", "details"})


@dataclass(frozen=True)
class Layout:
    fields: dict[str, int]  # our field -> column index
    extra: dict[str, int]  # metadata name -> column index
    outlet: str = ""  # the outlet a known layout stands for


def _layout(header: list[str], options: ReadOptions) -> tuple[Layout | None, str | None]:
    names = [name.strip().lstrip("\ufeff").lower() for name in header]
    position = {name: i for i, name in reversed(list(enumerate(names)))}
    fields: dict[str, int] = {}
    for field, wanted in (options.csv_columns or {}).items():
        index = position.get(wanted.strip().lower())
        if index is None:
            return None, f"column {wanted!r} (for {field}) is not in the header ({', '.join(header)})"
        fields[field] = index
    for field, candidates in KNOWN_COLUMNS.items():
        if field not in fields:
            index = next(
                (position[c] for c in candidates if c in position and position[c] not in fields.values()), None
            )
            if index is not None:
                fields[field] = index
    if "title" not in fields and "body" not in fields:
        return None, (
            f"no title or body column in the header ({', '.join(header)}); map columns with ReadOptions.csv_columns"
        )
    used = set(fields.values())
    extra = {header[i].strip(): i for i in range(len(header)) if i not in used and header[i].strip()}
    outlet = "bdnews24.com" if _BDNEWS24_LAYOUT <= set(names) and "url" not in names else ""
    return Layout(fields, extra, outlet), None


def _lines(stream: BinaryIO, notes: list[str], too_long: list[int], limit: int) -> Iterator[str]:
    """Decoded lines; a line over `limit` bytes becomes an empty line, its number put in `too_long`."""
    for number, raw in enumerate(bounded_lines(stream, limit), start=1):
        if raw is None:
            too_long.append(number)
            yield "\n"
            continue
        line, note = decode_bytes(raw)
        if note and not notes:
            notes.append(note)
        yield line


def _delimiter(path: str) -> str:
    return "\t" if Path(path).suffix.lower() == ".tsv" else ","


@dataclass(frozen=True)
class Row:
    number: int  # 1-based data row (the header is row 0)
    line: int
    article: Article | None
    problems: list[Problem]
    key: str | None = None  # the article id
    score: tuple[int, int] | None = None  # completeness on raw fields (quick pass only)


def _rows(path: str, stream: BinaryIO, options: ReadOptions, quick: bool = False) -> Iterator[Row | Problem]:
    """Each data row as an Article (or Problems).

    `quick` (the duplicate pass) skips cleaning the body where the id does not need it, and
    scores completeness on the raw fields, so Row.article may then be None with Row.key set.
    """
    notes: list[str] = []
    too_long: list[int] = []
    csv.field_size_limit(options.max_record_bytes)  # a quoted field may span lines: bound it too
    reader = csv.reader(_lines(stream, notes, too_long, options.max_record_bytes), delimiter=_delimiter(path))
    try:
        header = next(reader)
    except StopIteration:
        yield Problem(path, "empty CSV file (no header row)")
        return
    except csv.Error as error:
        yield Problem(path, f"unreadable CSV header: {error}")
        return
    if too_long:
        yield Problem(path, f"the header line is over {options.max_record_bytes:,} bytes; not read")
        return
    layout, error_text = _layout(header, options)
    if layout is None:
        yield Problem(path, error_text or "unusable header")
        return
    number = 0
    rows_seen = 0
    line = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            number += 1
            rows_seen += 1
            yield Problem(path, f"row {number} is not valid CSV: {error}", number)
            line = reader.line_num + 1
            continue
        number += 1
        row_line, line = line, reader.line_num + 1
        if too_long:
            rows_seen += 1
            yield Problem(
                path,
                f"row {number} (line {too_long[0]}) is over {options.max_record_bytes:,} bytes, "
                "too large to read within the memory bound; skipped",
                number,
                "warning",
            )
            too_long.clear()
            continue
        if not any(v.strip() for v in values):
            continue
        rows_seen += 1
        if any("\x00" in v for v in values):
            yield Problem(path, f"row {number} holds a NUL byte (damaged data); skipped", number)
            continue
        warnings = list(notes)
        notes.clear()
        if len(values) != len(header):
            warnings.append(f"row has {len(values)} fields, the header {len(header)}")

        def get(field: str) -> str:
            index = layout.fields.get(field)
            return values[index] if index is not None and index < len(values) else ""

        dates = {}
        for name in ("published", "updated"):
            value = get(name).strip()
            dates[name] = parse_datetime(value, options.default_timezone) if value else None
            if value and dates[name] is None:
                warnings.append(f"unreadable {name} date {value!r}; left empty")
        metadata: dict[str, object] = {}
        for name, index in layout.extra.items():
            value = values[index].strip() if index < len(values) else ""
            if value:
                metadata[name] = (
                    [v.strip() for v in value.split(",") if v.strip()] if name.lower() in LIST_COLUMNS else value
                )
        if quick:
            raw_score = (
                sum(
                    bool(v)
                    for v in (
                        get("subtitle").strip(),
                        get("source").strip(),
                        dates["published"],
                        dates["updated"],
                        get("url").strip(),
                        get("body").strip(),
                        get("byline").strip(),
                        get("topic").strip(),
                    )
                )
                + len(metadata),
                sum(len(get(f)) for f in ("title", "subtitle", "body")),
            )
            title, url, given = clean_text(get("title")), get("url").strip() or None, get("id").strip() or None
            if title and (url or given or dates["published"]):
                key = given or article_id(url=url, title=title, published=dates["published"])
                yield Row(number, row_line, None, [], key, raw_score)
                continue
        else:
            raw_score = None
        try:
            article, problems = _row_article(path, number, row_line, get, dates, metadata, warnings, layout, options)
        except Exception as error:  # noqa: BLE001 - one odd row costs only itself
            article, problems = (
                None,
                [Problem(path, f"row {number} could not be read ({type(error).__name__}: {error})", number)],
            )
        yield Row(number, row_line, article, problems, article.id if article else None, raw_score)
    if rows_seen == 0:
        yield Problem(path, "no data rows: the file holds only its header")


def _row_article(
    path: str,
    number: int,
    row_line: int,
    get: Callable[[str], str],
    dates: dict,
    metadata: dict,
    warnings: list[str],
    layout: Layout,
    options: ReadOptions,
) -> tuple[Article | None, list[Problem]]:
    body = get("body")
    if len(body) > options.max_article_chars:
        body = body[: options.max_article_chars + 1]  # build_article cuts it and says so
    url, byline = get("url"), get("byline")
    return build_article(
        Origin(path, record=number, line=row_line),
        title=get("title"),
        subtitle=get("subtitle"),
        byline=byline,
        topic=get("topic"),
        source=outlet_for(source=get("source"), url=url, byline=byline, path=path, layout_outlet=layout.outlet),
        published=dates["published"],
        updated=dates["updated"],
        body=split_run_in_text(repair_text(body)),
        language=get("language"),
        url=url,
        given_id=get("id").strip() or None,
        metadata=metadata,
        warnings=warnings,
        max_chars=options.max_article_chars,
    )


class BestRows:
    """Article id -> (completeness, file index, row) of its most complete copy, across CSV files.

    Kept in a temporary SQLite file with a small page cache, not in a dict: its size grows with
    the number of rows, and a reader's memory must not.
    """

    CACHE_KIB = 8 * 1024

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="dateline-csv-")
        self._db = sqlite3.connect(Path(self._folder.name) / "best.sqlite", isolation_level=None)
        self._db.executescript(f"""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -{self.CACHE_KIB};
            CREATE TABLE best (id TEXT PRIMARY KEY, score INTEGER, file INTEGER, row INTEGER) WITHOUT ROWID;
        """)

    def offer(self, rows: list[tuple[str, int, int, int]]) -> None:
        """(id, score, file, row) candidates; a copy replaces the kept one only with a higher score,
        so ties keep the first (lower file index, then lower row)."""
        self._db.execute("BEGIN")
        self._db.executemany(
            "INSERT INTO best VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET score = excluded.score, "
            "file = excluded.file, row = excluded.row WHERE excluded.score > best.score",
            rows,
        )
        self._db.execute("COMMIT")

    def keeps(self, article_id: str, file_index: int, row: int) -> bool:
        """Whether this copy is the one to read (an id never offered is read wherever it is)."""
        found = self._db.execute("SELECT file, row FROM best WHERE id = ?", (article_id,)).fetchone()
        return found is None or found == (file_index, row)

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM best").fetchone()[0]

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


def _packed(score: tuple[int, int]) -> int:
    fields, length = score
    return (fields << 40) | min(length, (1 << 40) - 1)


def best_rows(paths: list[str], options: ReadOptions, open_file: Callable[[str], BinaryIO | None]) -> BestRows:
    """First pass: which copy of each repeated article to read (see BestRows)."""
    best = BestRows()
    batch: list[tuple[str, int, int, int]] = []
    try:
        for file_index, path in enumerate(paths):
            stream = open_file(path)
            if stream is None:
                continue
            with stream:
                for row in _rows(path, stream, options, quick=True):
                    if isinstance(row, Problem) or row.key is None or row.score is None:
                        continue
                    batch.append((row.key, _packed(row.score), file_index, row.number))
                    if len(batch) >= 10_000:
                        best.offer(batch)
                        batch = []
        best.offer(batch)
    except BaseException:
        best.close()
        raise
    return best


def read_csv(
    path: str, stream: BinaryIO, options: ReadOptions, keep: Callable[[str, int], bool] = lambda article_id, row: True
) -> Iterator[Article | Problem]:
    """Second pass: the rows `keep(article_id, row_number)` accepts, with their problems."""
    for row in _rows(path, stream, options):
        if isinstance(row, Problem):
            yield row
            continue
        if row.article is not None and not keep(row.article.id, row.number):
            continue
        yield from row.problems
        if row.article is not None:
            yield row.article
