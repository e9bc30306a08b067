"""Records already indexed, recognised before they are parsed: a key of each record's raw bytes.

An incremental reindex of a big corpus reads every record to find the few that changed. Parsing
and cleaning a record (JSON, dates, mojibake repair) costs far more than hashing its bytes, so the
readers that can (JSON Lines lines, one-article text files) first hash the raw record together with
its file's path and ask a `RecordCheck` whether a record with that key made an indexed article:
then they yield an `Unchanged` (its id and content hash, from the manifest) instead of parsing it.

A key only says "same bytes in the same file"; the same bytes make the same article only when they
are read the same way. `reading_key` digests the reader code and the ReadOptions: the manifest keeps
it, and a run whose reading differs parses every record again.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

READING_FORMAT = 1  # raise when what makes an article of a record changes outside the digested code


@dataclass(frozen=True, slots=True)
class Unchanged:
    """A record whose raw bytes, in the same file, made an article that is indexed: not parsed."""

    id: str
    content_hash: str
    path: str
    key: bytes


def record_key(path: str, raw: bytes) -> bytes:
    """The key of one record: its file (an outlet may come from the folder name) and its bytes."""
    digest = hashlib.blake2b(os.fsencode(path), digest_size=16)
    digest.update(b"\0")
    digest.update(raw)
    return digest.digest()


class RecordCheck:
    """Passed to the readers: `lookup(path, key)` gives the (id, content hash) of the indexed article
    a record of that file with that key made, when it may be skipped. `last` is the key of the article a reader
    yields next (None when the record cannot be recognised by its bytes, e.g. it needed a warning);
    whoever consumes that article takes it with `take()`."""

    def __init__(self, lookup: Callable[[str, bytes], tuple[str, str] | None]) -> None:
        self.lookup = lookup
        self.last: bytes | None = None

    def check(self, path: str, raw: bytes) -> Unchanged | bytes:
        """The record as Unchanged when it may be skipped, else its key (to hand on with its article)."""
        key = record_key(path, raw)
        found = self.lookup(path, key)
        return Unchanged(found[0], found[1], path, key) if found else key

    def take(self) -> bytes | None:
        key, self.last = self.last, None
        return key


@cache
def _reading_code() -> bytes:
    """A digest of the code that turns records into articles: the readers, the Article, ftfy, orjson
    and the Unicode tables (NFC) of this Python."""
    import unicodedata

    import ftfy
    import orjson

    import search.article

    versions = (
        f"{READING_FORMAT} ftfy {ftfy.__version__} orjson {orjson.__version__} unicode {unicodedata.unidata_version}"
    )
    digest = hashlib.blake2b(versions.encode(), digest_size=16)
    folder = Path(__file__).parent
    for path in sorted(folder.glob("*.py")) + [Path(search.article.__file__ or "")]:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.digest()


def reading_key(options: object) -> str:
    """What must be equal for the same record bytes to make the same article: the reading code and
    the ReadOptions (a zone for times printed without one, CSV columns, limits)."""
    digest = hashlib.blake2b(_reading_code(), digest_size=16)
    digest.update(repr(options).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def check_record(check: RecordCheck | None, path: str, raw: bytes) -> Unchanged | bytes | None:
    """What a reader does first with a raw record: Unchanged when it may be skipped, else its key
    (None when the run recognises no records by their bytes)."""
    return None if check is None else check.check(path, raw)
