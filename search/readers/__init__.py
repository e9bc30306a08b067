"""Streaming corpus readers: files in, Articles and Problems out, one at a time.

    for item in read_corpus(["corpus/"]):
        if isinstance(item, Article): ...
        else: ...  # a Problem: reported, never fatal

Each file's format is chosen from its extension and first bytes (see `detect_format`):
page dumps and plain-text articles (.txt), JSON Lines (.jsonl), CSV (.csv/.tsv) and
Reuters-21578 SGML (.sgm). Multi-record files are streamed, never loaded whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from search.article import Article, Problem
from search.readers.csv_files import best_rows, read_csv
from search.readers.jsonl import read_jsonl
from search.readers.options import ReadOptions
from search.readers.pages import looks_like_page, read_page
from search.readers.plaintext import read_plain_text
from search.readers.report import ReadReport
from search.readers.reuters import read_reuters
from search.readers.text import decode_bytes
from search.readers.walk import walk

__all__ = ["Article", "Problem", "ReadOptions", "ReadReport", "detect_format", "read_corpus", "read_file"]

SNIFF_BYTES = 8192
# A page or plain-text file holds one article; anything this big is not one.
MAX_SINGLE_ARTICLE_BYTES = 64 * 1024 * 1024
CSV_SUFFIXES = frozenset({".csv", ".tsv"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
SGML_SUFFIXES = frozenset({".sgm", ".sgml"})


def detect_format(path: Path, head: bytes) -> str:
    """'sgml', 'csv', 'jsonl', 'json-array' (not read) or 'text' (a page dump or plain-text article)."""
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in SGML_SUFFIXES or b"<REUTERS" in head or head.lstrip().startswith(b"<!DOCTYPE lewis"):
        return "sgml"
    start = head.lstrip()[:1]
    if suffix in JSONL_SUFFIXES or start == b"{":
        return "jsonl"
    if suffix == ".json" and start == b"[":
        return "json-array"
    return "text"


def _open(path: Path, options: ReadOptions) -> tuple[BinaryIO | None, bytes, Problem | None]:
    """The open file and its first bytes, or the Problem that stops it being read."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > options.max_file_bytes:
            return None, b"", Problem(name, f"file too large: {size:,} bytes, over the limit of "
                                            f"{options.max_file_bytes:,} (ReadOptions.max_file_bytes); not read")
        if size == 0:
            return None, b"", Problem(name, "empty file")
        stream = path.open("rb")
    except PermissionError:
        return None, b"", Problem(name, "permission denied")
    except OSError as error:
        return None, b"", Problem(name, f"cannot open: {error.strerror or error}")
    try:
        head = stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]
    except OSError as error:
        stream.close()
        return None, b"", Problem(name, f"cannot read: {error.strerror or error}")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        stream.close()
        return None, b"", Problem(name, "UTF-16 text is not read; save the file as UTF-8")
    if b"\x00" in head:
        stream.close()
        return None, b"", Problem(name, "binary file, not text; not read")
    return stream, head, None


def _read_text_file(name: str, stream: BinaryIO, options: ReadOptions) -> Iterator[Article | Problem]:
    data = stream.read(MAX_SINGLE_ARTICLE_BYTES + 1)
    if len(data) > MAX_SINGLE_ARTICLE_BYTES:
        yield Problem(name, f"over {MAX_SINGLE_ARTICLE_BYTES:,} bytes: too large for a one-article "
                            "text file; not read")
        return
    text, note = decode_bytes(data)
    if note:
        yield Problem(name, note, severity="warning")
    if not text.strip():
        yield Problem(name, "no text (only blank space)")
        return
    if looks_like_page(text):
        yield from read_page(name, text, options)
    else:
        yield from read_plain_text(name, text, options)


def _read_stream(path: Path, fmt: str, stream: BinaryIO, options: ReadOptions,
                 keep=None) -> Iterator[Article | Problem]:
    name = str(path)
    if fmt == "csv":
        yield from read_csv(name, stream, options, keep) if keep else read_csv(name, stream, options)
    elif fmt == "jsonl":
        yield from read_jsonl(name, stream, options)
    elif fmt == "sgml":
        count = 0
        for item in read_reuters(name, stream, options):
            count += isinstance(item, Article)
            yield item
        if count == 0:
            yield Problem(name, "no <REUTERS> stories found (not Reuters-21578 SGML?)")
    elif fmt == "json-array":
        yield Problem(name, "a JSON array; Dateline reads JSON Lines (one article object per line, .jsonl)")
    else:
        yield from _read_text_file(name, stream, options)


def _read_path(path: Path, options: ReadOptions, keep=None) -> Iterator[Article | Problem]:
    stream, head, problem = _open(path, options)
    if problem is not None:
        yield problem
        return
    assert stream is not None
    with stream:
        try:
            yield from _read_stream(path, detect_format(path, head), stream, options, keep)
        except OSError as error:
            yield Problem(str(path), f"read failed: {error.strerror or error}")
        except Exception as error:  # noqa: BLE001 - one odd file must not stop a whole corpus
            yield Problem(str(path), f"could not be read ({type(error).__name__}: {error})")


def read_corpus(paths: Iterable[str | Path], options: ReadOptions | None = None
                ) -> Iterator[Article | Problem]:
    """Every article under `paths`, in a stable order, with the Problems met on the way."""
    options = options or ReadOptions()
    entries = list(walk(paths))
    csv_files = {str(e): i for i, e in enumerate(e for e in entries
                                                  if isinstance(e, Path) and e.suffix.lower() in CSV_SUFFIXES)}
    winners: dict | None = None

    def open_quietly(name: str) -> BinaryIO | None:
        stream, _, problem = _open(Path(name), options)
        return None if problem else stream

    for entry in entries:
        if isinstance(entry, Problem):
            yield entry
            continue
        file_index = csv_files.get(str(entry))
        if file_index is None:
            yield from _read_path(entry, options)
            continue
        if winners is None:
            # Repeated articles are read once across all CSV files, keeping the fullest copy.
            try:
                winners = best_rows(list(csv_files), options, open_quietly)
            except Exception:  # noqa: BLE001 - the second pass reports what is wrong, file by file
                winners = {}

        def keep(article_id: str, row: int, file_index: int = file_index) -> bool:
            best = winners.get(article_id)
            return best is None or best[1:] == (file_index, row)

        yield from _read_path(entry, options, keep)


def read_file(path: str | Path, options: ReadOptions | None = None) -> Iterator[Article | Problem]:
    """The articles of one file (or directory)."""
    return read_corpus([path], options)
