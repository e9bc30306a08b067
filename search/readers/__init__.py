"""Streaming corpus readers: files in, Articles and Problems out, one at a time.

    for item in read_corpus(["corpus/"]):
        if isinstance(item, Article): ...
        else: ...  # a Problem: reported, never fatal

Each file's format is chosen from its extension and first bytes (see `detect_format`):
page dumps and plain-text articles (.txt), JSON Lines (.jsonl), CSV (.csv/.tsv) and
Reuters-21578 SGML (.sgm), each also compressed (.gz, .bz2, .xz, .zst: read streaming).
Multi-record files are streamed, never loaded whole, and no record is held beyond
ReadOptions.max_record_bytes: what a reader holds does not grow with what a file holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from search.article import Article, Problem
from search.readers.csv_files import BestRows, best_rows, read_csv
from search.readers.jsonl import read_jsonl
from search.readers.options import ReadOptions
from search.readers.pages import looks_like_page, read_page
from search.readers.plaintext import read_plain_text
from search.readers.records import RecordCheck, Unchanged, check_record
from search.readers.report import ReadReport
from search.readers.reuters import read_reuters
from search.readers.streams import head_bytes, inner_suffix, looks_binary, open_stream
from search.readers.text import decode_bytes
from search.readers.walk import walk

__all__ = [
    "Article",
    "Problem",
    "ReadOptions",
    "ReadReport",
    "corpus_size",
    "detect_format",
    "read_changed",
    "read_corpus",
    "read_file",
]

SNIFF_BYTES = 8192
CSV_SUFFIXES = frozenset({".csv", ".tsv"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".jsonlines"})
SGML_SUFFIXES = frozenset({".sgm", ".sgml"})


def detect_format(path: Path, head: bytes) -> str:
    """'sgml', 'csv', 'jsonl', 'json-array' (not read) or 'text' (a page dump or plain-text article)."""
    suffix = inner_suffix(path)
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


class _Opened:
    """An open corpus file: the stream to read, the file under it (for progress) and its first bytes."""

    def __init__(self, stream: BinaryIO, raw: BinaryIO, head: bytes) -> None:
        self.stream, self.raw, self.head = stream, raw, head

    def close(self) -> None:
        self.stream.close()  # and the file under it


def _open(path: Path, options: ReadOptions) -> tuple[_Opened | None, Problem | None]:
    """The open file, or the Problem that stops it being read."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > options.max_file_bytes:
            return None, Problem(
                name,
                f"file too large: {size:,} bytes, over the limit of "
                f"{options.max_file_bytes:,} (ReadOptions.max_file_bytes); not read",
            )
        if size == 0:
            return None, Problem(name, "empty file")
        stream, raw = open_stream(path)
    except PermissionError:
        return None, Problem(name, "permission denied")
    except OSError as error:
        return None, Problem(name, f"cannot open: {error.strerror or error}")
    try:
        head = head_bytes(stream, SNIFF_BYTES)
    except Exception as error:  # noqa: BLE001 - a damaged .gz/.bz2/.xz/.zst fails here (zstd has its own error)
        stream.close()
        return None, Problem(name, f"cannot read: {getattr(error, 'strerror', None) or error}")
    problem = None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        problem = Problem(name, "UTF-16 text is not read; save the file as UTF-8")
    elif not head:
        problem = Problem(name, "empty file (nothing once decompressed)")
    elif looks_binary(head, record_format=detect_format(path, head) in ("jsonl", "csv")):
        problem = Problem(name, "binary file, not text; not read")
    if problem:
        stream.close()
        return None, problem
    return _Opened(stream, raw, head), None


def _read_text_file(
    name: str, stream: BinaryIO, options: ReadOptions, check: RecordCheck | None = None
) -> Iterator[Article | Problem | Unchanged]:
    data = stream.read(options.max_record_bytes + 1)
    if len(data) > options.max_record_bytes:
        yield Problem(
            name,
            f"over {options.max_record_bytes:,} bytes: too large for a one-article text file "
            "to read within the memory bound; skipped",
            severity="warning",
        )
        return
    key = check_record(check, name, data)
    if isinstance(key, Unchanged):
        yield key
        return
    text, note = decode_bytes(data)
    del data
    if note:
        key = None  # read with a warning: read again next time, to say so again
        yield Problem(name, note, severity="warning")
    if not text.strip():
        yield Problem(name, "no text (only blank space)")
        return
    for item in read_page(name, text, options) if looks_like_page(text) else read_plain_text(name, text, options):
        if check is not None and isinstance(item, Article) and not item.warnings:
            check.last = key
        yield item


def _read_stream(
    path: Path, fmt: str, stream: BinaryIO, options: ReadOptions, keep=None, check: RecordCheck | None = None
) -> Iterator[Article | Problem | Unchanged]:
    name = str(path)
    if fmt == "csv":
        yield from read_csv(name, stream, options, keep) if keep else read_csv(name, stream, options)
    elif fmt == "jsonl":
        yield from read_jsonl(name, stream, options, check)
    elif fmt == "sgml":
        count = 0
        for item in read_reuters(name, stream, options):
            count += isinstance(item, Article) or item.record is not None  # a story, read or not
            yield item
        if count == 0:
            yield Problem(name, "no <REUTERS> stories found (not Reuters-21578 SGML?)")
    elif fmt == "json-array":
        yield Problem(name, "a JSON array; Dateline reads JSON Lines (one article object per line, .jsonl)")
    else:
        yield from _read_text_file(name, stream, options, check)


def _read_path(
    path: Path,
    options: ReadOptions,
    keep=None,
    on_bytes: Callable[[int], None] | None = None,
    check: RecordCheck | None = None,
) -> Iterator[Article | Problem | Unchanged]:
    opened, problem = _open(path, options)
    if problem is not None:
        yield problem
        return
    assert opened is not None
    done = 0
    try:
        for item in _read_stream(path, detect_format(path, opened.head), opened.stream, options, keep, check):
            yield item
            if on_bytes is not None and isinstance(item, (Article, Unchanged)):
                position = opened.raw.tell()
                on_bytes(position - done)
                done = position
    except OSError as error:
        yield Problem(str(path), f"read failed: {error.strerror or error}")
    except (EOFError, ValueError) as error:  # a compressed file cut short or damaged
        yield Problem(str(path), f"read failed: {error}")
    except Exception as error:  # noqa: BLE001 - one odd file must not stop a whole corpus
        yield Problem(str(path), f"could not be read ({type(error).__name__}: {error})")
    finally:
        opened.close()
        if on_bytes is not None:
            try:
                on_bytes(max(0, path.stat().st_size - done))
            except OSError:
                pass


def corpus_size(paths: Iterable[str | Path]) -> tuple[int, int]:
    """(files, bytes on disk) a read of `paths` covers: what progress is measured against."""
    files = size = 0
    for entry in walk(paths):
        if isinstance(entry, Path):
            try:
                size += entry.stat().st_size
            except OSError:
                continue
            files += 1
    return files, size


def read_corpus(
    paths: Iterable[str | Path], options: ReadOptions | None = None, on_bytes: Callable[[int], None] | None = None
) -> Iterator[Article | Problem]:
    """Every article under `paths`, in a stable order, with the Problems met on the way.

    `on_bytes(n)` is told as each file is read how many more of its bytes (on disk) are done.
    """
    return read_changed(paths, None, options, on_bytes)  # type: ignore[return-value]  # no check: no Unchanged


def read_changed(
    paths: Iterable[str | Path],
    check: RecordCheck | None,
    options: ReadOptions | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> Iterator[Article | Problem | Unchanged]:
    """`read_corpus`, but records that `check` recognises by their raw bytes come out as Unchanged,
    unparsed (JSON Lines lines and one-article text files; the other formats are always parsed).
    Before each Article it yields, `check.last` is set to the key to remember it by (or None)."""
    options = options or ReadOptions()
    entries = list(walk(paths))
    csv_files = {
        str(e): i for i, e in enumerate(e for e in entries if isinstance(e, Path) and inner_suffix(e) in CSV_SUFFIXES)
    }
    winners: BestRows | None = None

    def open_quietly(name: str) -> BinaryIO | None:
        opened, _ = _open(Path(name), options)
        if opened is None:
            return None
        return opened.stream  # closing it closes the file under it

    try:
        for entry in entries:
            if isinstance(entry, Problem):
                yield entry
                continue
            file_index = csv_files.get(str(entry))
            if file_index is None:
                yield from _read_path(entry, options, on_bytes=on_bytes, check=check)
                continue
            if winners is None:
                # Repeated articles are read once across all CSV files, keeping the fullest copy.
                try:
                    winners = best_rows(list(csv_files), options, open_quietly)
                except Exception:  # noqa: BLE001 - the second pass reports what is wrong, file by file
                    winners = None
            keep = None
            if winners is not None:

                def keep(article_id: str, row: int, file_index: int = file_index, best=winners) -> bool:
                    return best.keeps(article_id, file_index, row)

            yield from _read_path(entry, options, keep, on_bytes=on_bytes)
    finally:
        if winners is not None:
            winners.close()


def read_file(path: str | Path, options: ReadOptions | None = None) -> Iterator[Article | Problem]:
    """The articles of one file (or directory)."""
    return read_corpus([path], options)
