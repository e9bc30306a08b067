"""Opening corpus files as byte streams: compressed files decompressed on the fly, lines read
within a bound, binary files told from text with a single bad byte."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

# Compressed files are read streaming, never unpacked whole; the name under the compression
# suffix ("articles.jsonl.gz" -> ".jsonl") says the format.
COMPRESSED_SUFFIXES = frozenset({".gz", ".bz2", ".xz", ".zst"})
_READ_BUFFER = 1024 * 1024


def inner_suffix(path: Path) -> str:
    """The format suffix of a file, looking through a compression suffix: a.jsonl.gz -> .jsonl."""
    suffix = path.suffix.lower()
    if suffix in COMPRESSED_SUFFIXES:
        return Path(path.stem).suffix.lower()
    return suffix


class _Decompressed(io.BufferedReader):
    """A buffered decompressing reader that closes the file under it too."""

    def __init__(self, inner: io.RawIOBase | io.BufferedIOBase, raw: BinaryIO) -> None:
        super().__init__(inner, _READ_BUFFER)
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def open_stream(path: Path) -> tuple[BinaryIO, BinaryIO]:
    """(the readable byte stream, the file underneath it): the latter tells how far the read has got.
    Closing the stream closes both."""
    raw = path.open("rb")
    suffix = path.suffix.lower()
    try:
        inner: io.RawIOBase | io.BufferedIOBase
        if suffix == ".gz":
            inner = gzip.GzipFile(fileobj=raw, mode="rb")
        elif suffix == ".bz2":
            inner = bz2.BZ2File(raw, mode="rb")
        elif suffix == ".xz":
            inner = lzma.LZMAFile(raw, mode="rb")
        elif suffix == ".zst":
            import zstandard

            # A raw stream in all but name (readinto, readable, close): what BufferedReader needs.
            inner = zstandard.ZstdDecompressor().stream_reader(raw, closefd=False)  # type: ignore[assignment]
        else:
            return raw, raw
        return _Decompressed(inner, raw), raw
    except BaseException:
        raw.close()
        raise


def head_bytes(stream: BinaryIO, size: int) -> bytes:
    """Up to `size` first bytes of a buffered stream, left in the stream."""
    head = stream.peek(size)[:size]  # type: ignore[attr-defined]
    return head


# Compressed or binary formats, by their first bytes (a .gz renamed .jsonl is still a .gz).
_BINARY_MAGIC = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ", b"(\xb5/\xfd", b"%PDF", b"\x89PNG", b"\xff\xd8\xff")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\f\x0b\x1b")


def looks_binary(head: bytes, record_format: bool) -> bool:
    """Whether the first bytes are not text.

    A one-article text file with a NUL in it is not text. A file of records (JSON Lines, CSV)
    is judged on the whole head: a NUL or two is one damaged record, reported on its own,
    while a compressed or binary file is full of control bytes.
    """
    if not head:
        return False
    if head.startswith(_BINARY_MAGIC):
        return True
    if not record_format:
        return b"\x00" in head
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control > max(8, len(head) // 10)


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """Each line of a byte stream (with its line end); None in place of a line over `limit`
    bytes, which is skipped without ever being held whole."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # drop the rest of the line, a piece at a time
                rest = stream.readline(_READ_BUFFER)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
            continue
        yield line
