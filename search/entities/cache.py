"""A persistent cache of what spaCy found, so a rebuild does not rerun spaCy on unchanged text.

SQLite in the index folder (`<index>/entities.sqlite`), WAL mode: readers never block the one
writer. It holds the model's raw spans (search.entities.extract.RawArticle), not our cleaned
entities: the rules (titles, name joins, place resolution) run on the cached spans each time, so
changing a rule reruns no model. The key hashes exactly the text entities are taken from
(title, subtitle, body) and RAW_VERSION, so an analysis, schema or rule change keeps the cache
and a change of what the model sees misses it. The outlet's country is no part of the key: the
model never sees it; the place rules take it from the article each time, so a change of outlet
changes the places without a model run. A damaged cache file is only a lost speed-up: it is moved aside with a warning and
started afresh.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from pathlib import Path

import orjson

from search.article import Article, Entities
from search.entities.extract import (
    RAW_VERSION,
    EntityExtractor,
    RawArticle,
    article_context,
    cook,
    supplied_entities,
)
from search.entities.places import outlet_country

log = logging.getLogger(__name__)

CACHE_FILENAME = "entities.sqlite"
_SQL_VARIABLES = 500  # keys per SELECT ... IN (...), well under SQLite's limit
_BUSY_TIMEOUT_S = 30.0


def entity_key(article: Article, version: str | None = None) -> str:
    """Hash of the text entities come from, and the version of the raw spans."""
    h = hashlib.blake2b(digest_size=16)
    h.update(b"raw" + (version or RAW_VERSION).encode())
    h.update(b"\x1f" + article.language.encode())
    for part in (article.title, article.subtitle, *article.body):
        h.update(b"\x1f")
        h.update(part.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _encode(raw: RawArticle) -> bytes:
    return orjson.dumps(raw)


def _decode(blob: bytes) -> RawArticle:
    spans, headlines = orjson.loads(blob)
    return tuple((str(label), str(text), str(b1), str(b2), int(gap)) for label, text, b1, b2, gap in spans), tuple(
        str(h) for h in headlines
    )


class EntityCache:
    """Key -> RawArticle in SQLite. Safe with concurrent readers and one writer (WAL)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            self.path = self.path / CACHE_FILENAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as error:
            self._db = self._recreate(error)

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("CREATE TABLE IF NOT EXISTS entities (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID")
            db.execute("SELECT key, value FROM entities LIMIT 1").fetchall()  # a damaged file fails here
            db.commit()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _recreate(self, error: Exception) -> sqlite3.Connection:
        broken = self.path.with_name(self.path.name + ".broken")
        log.warning("entity cache %s is unreadable (%s); moved to %s and started afresh", self.path, error, broken.name)
        for suffix in ("-wal", "-shm"):
            self.path.with_name(self.path.name + suffix).unlink(missing_ok=True)
        self.path.replace(broken)
        return self._open()

    def get_many(self, keys: Sequence[str]) -> dict[str, RawArticle]:
        found: dict[str, RawArticle] = {}
        unique = list(dict.fromkeys(keys))
        for start in range(0, len(unique), _SQL_VARIABLES):
            batch = unique[start : start + _SQL_VARIABLES]
            marks = ",".join("?" * len(batch))
            try:
                rows = self._db.execute(f"SELECT key, value FROM entities WHERE key IN ({marks})", batch).fetchall()
            except sqlite3.DatabaseError as error:
                log.warning("entity cache %s read failed (%s); treating as misses", self.path, error)
                return found
            for key, value in rows:
                try:
                    found[key] = _decode(value)
                except (orjson.JSONDecodeError, ValueError, TypeError):
                    continue  # a damaged row is a miss; put_many overwrites it
        return found

    def put_many(self, items: Mapping[str, RawArticle]) -> None:
        if not items:
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO entities (key, value) VALUES (?, ?)",
                    [(key, _encode(value)) for key, value in items.items()],
                )
        except sqlite3.DatabaseError as error:
            log.warning("entity cache %s write failed (%s); continuing without caching", self.path, error)

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM entities").fetchone()[0]

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EntityCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def extract_with_cache(
    articles: Iterable[Article], extractor: EntityExtractor, cache: EntityCache, chunk_size: int = 2048
) -> Iterator[Entities]:
    """Entities for each article, in order: the model's spans from the cache, or from spaCy for
    the rest (then stored), with the rules applied to them. Streams chunk by chunk, so memory
    stays bounded; chunks are large because worker processes idle briefly at the end of each."""
    iterator = iter(articles)
    while chunk := list(islice(iterator, chunk_size)):
        if any(article.supplied is not None for article in chunk):
            yield from _with_supplied(chunk, extractor, cache)
            continue
        keys = [entity_key(article) for article in chunk]
        found = cache.get_many(keys)
        misses = [i for i, key in enumerate(keys) if key not in found]
        if misses and not hasattr(extractor, "raw_many"):
            # An extractor that gives finished entities (a stand-in in tests) has nothing to cache.
            given = dict(zip(misses, extractor.extract_many(chunk[i] for i in misses)))
            for i, key in enumerate(keys):
                yield given[i] if i in given else cook(found[key], article_context(chunk[i]))
            continue
        if misses:
            fresh = dict(zip((keys[i] for i in misses), extractor.raw_many(chunk[i] for i in misses)))
            cache.put_many(fresh)
            found.update(fresh)
        for article, key in zip(chunk, keys):
            yield cook(found[key], article_context(article))


def _with_supplied(chunk: list[Article], extractor: EntityExtractor, cache: EntityCache) -> Iterator[Entities]:
    """A chunk where some records give their own entities: those skip the model, the rest do not."""
    extracted = iter(extract_with_cache([a for a in chunk if a.supplied is None], extractor, cache, len(chunk)))
    for article in chunk:
        if article.supplied is not None:
            yield supplied_entities(article.supplied, outlet_country(article.url, article.source))
        else:
            yield next(extracted)
