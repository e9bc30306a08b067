"""The manifest (id -> content hash and file of every article of a generation) and the state of
one reindex run, kept in SQLite and queried, never loaded whole: what a reindex holds in memory
does not grow with the number of articles (an in-memory table took ~230 bytes per article).

A generation's manifest is `manifest.sqlite` in its folder, stamped with the Whoosh commit it
describes. Each article also has the key of the raw record it was read from (search.readers.records;
NULL for records not recognised that way) and the manifest the reading key they were made under: a
run that reads the same way skips the records whose key it finds, without parsing them. A run copies it into a scratch database (`previous`), records what it reads (`seen`)
and what it keeps from unreadable files (`carried`), and writes the new manifest from those.
File names are stored as bytes, so a name that is not UTF-8 comes back exactly.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from search.index import store as index_store
from search.index.schema import StoredArticle
from search.index.store import Generation

MANIFEST_FILE = index_store.MANIFEST_FILE
CACHE_KIB = 16 * 1024  # SQLite page cache of the scratch database
BATCH = 5000  # rows written at a time

_TABLE = "(id TEXT PRIMARY KEY, hash TEXT NOT NULL, path BLOB NOT NULL, raw BLOB) WITHOUT ROWID"


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return db


def _is_current(path: Path, generation: Generation) -> bool:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = db.execute("SELECT value FROM meta WHERE key = 'toc'").fetchone()
        finally:
            db.close()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == index_store.toc_generation(generation.path)


RUN_FOLDER_PREFIX, RUN_FOLDER_SUFFIX = ".reindex-", ".tmp"  # in the index folder; index_store.clean_up removes
# the one a killed run leaves


class RunState:
    """The tables of one reindex run, in a temporary SQLite file (in `folder`, else the system's temp)."""

    def __init__(self, folder: Path | None = None) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix=RUN_FOLDER_PREFIX, suffix=RUN_FOLDER_SUFFIX, dir=folder)
        self.db = _open(Path(self._folder.name) / "run.sqlite")
        self.db.executescript(f"""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE previous {_TABLE}; CREATE TABLE seen {_TABLE}; CREATE TABLE carried {_TABLE};
            CREATE INDEX previous_raw ON previous (raw); CREATE INDEX previous_path ON previous (path);
        """)
        self._pending: dict[str, tuple[str, bytes, bytes | None]] = {}  # seen, not yet written
        self.previous_reading: str | None = None  # the reading key of the previous manifest

    def close(self) -> None:
        self.db.close()
        self._folder.cleanup()

    # --- the previous generation ---

    def load_previous(
        self, generation: Generation, stored_articles: Callable[[Generation], Iterable[StoredArticle]]
    ) -> bool:
        """Copies a generation's manifest into `previous`; returns whether it was current. When
        it was not (a run killed between Whoosh's commit and the manifest), the articles come
        from the index's stored fields, which is slower."""
        path = generation.path / MANIFEST_FILE
        if path.exists() and _is_current(path, generation):
            self.db.execute("ATTACH DATABASE ? AS old", (str(path),))
            try:
                columns = {row[1] for row in self.db.execute("PRAGMA old.table_info(articles)")}
                raw = "raw" if "raw" in columns else "NULL"  # a manifest written before raw keys
                self.db.execute(f"INSERT INTO previous SELECT id, hash, path, {raw} FROM old.articles")
                row = self.db.execute("SELECT value FROM old.meta WHERE key = 'reading'").fetchone()
                self.previous_reading = row[0] if row else None
            finally:
                self.db.execute("DETACH DATABASE old")
            return True
        self._insert("previous", ((a.id, a.content_hash, a.origin.path) for a in stored_articles(generation)))
        return False

    def previous_count(self) -> int:
        return self.db.execute("SELECT count(*) FROM previous").fetchone()[0]

    def previous_keys_of(self, path: str, limit: int) -> dict[bytes, tuple[str, str]] | None:
        """raw key -> (id, content hash) of the previous articles of one file, in one query (a
        file's records are read one after the other); None when it has more than `limit`."""
        name = os.fsencode(path)
        if self.db.execute("SELECT count(*) FROM previous WHERE path = ?", (name,)).fetchone()[0] > limit:
            return None
        rows = self.db.execute("SELECT raw, id, hash FROM previous WHERE path = ? AND raw IS NOT NULL", (name,))
        return {raw: (article_id, content_hash) for raw, article_id, content_hash in rows}

    def previous_by_raw(self, key: bytes) -> tuple[str, str] | None:
        """(id, content hash) of the previous article read from a record with this raw key."""
        row = self.db.execute("SELECT id, hash FROM previous WHERE raw = ?", (key,)).fetchone()
        return (row[0], row[1]) if row else None

    def previous_hash(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT hash FROM previous WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else None

    def previous_files(self) -> Iterator[tuple[str, int]]:
        """(file, number of its articles) in the previous generation."""
        for path, count in self.db.execute("SELECT path, count(*) FROM previous GROUP BY path"):
            yield os.fsdecode(path), count

    def previous_articles(self) -> Iterator[tuple[str, str, str]]:
        """Each previous article as (id, hash, path)."""
        cursor = self.db.execute("SELECT id, hash, path FROM previous")
        while rows := cursor.fetchmany(BATCH):
            for article_id, content_hash, path in rows:
                yield article_id, content_hash, os.fsdecode(path)

    # --- what this run reads ---

    def add_seen(self, article_id: str, content_hash: str, path: str, raw: bytes | None = None) -> bool:
        """Records an article read this run (and the key of its raw record, when known); False when
        its id was already read (a duplicate)."""
        if self.was_seen(article_id):
            return False
        self._pending[article_id] = (content_hash, os.fsencode(path), raw)
        if len(self._pending) >= BATCH:
            self._flush()
        return True

    def add_unchecked(self, article_id: str, content_hash: str, path: str, raw: bytes | None) -> None:
        """Records an article read this run that the caller knows was not read before in it."""
        self._pending[article_id] = (content_hash, os.fsencode(path), raw)
        if len(self._pending) >= BATCH:
            self._flush()

    def was_seen(self, article_id: str) -> bool:
        if article_id in self._pending:
            return True
        return self.db.execute("SELECT 1 FROM seen WHERE id = ?", (article_id,)).fetchone() is not None

    def _flush(self) -> None:
        if self._pending:
            rows = [(key, h, p, r) for key, (h, p, r) in self._pending.items()]
            if self.db.in_transaction:
                self.db.executemany("INSERT INTO seen VALUES (?, ?, ?, ?)", rows)
            else:
                self.db.execute("BEGIN")
                self.db.executemany("INSERT INTO seen VALUES (?, ?, ?, ?)", rows)
                self.db.execute("COMMIT")
            self._pending.clear()

    def unseen_previous(self) -> Iterator[tuple[str, str, str]]:
        """Previous articles not read this run, as (id, hash, path)."""
        self._flush()
        cursor = self.db.execute(
            "SELECT id, hash, path FROM previous p WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.id = p.id)"
        )
        while rows := cursor.fetchmany(BATCH):
            for article_id, content_hash, path in rows:
                yield article_id, content_hash, os.fsdecode(path)

    def carry(self, rows: Iterable[tuple[str, str, str]]) -> None:
        self._insert("carried", rows)

    def carried_ids(self) -> Iterator[str]:
        cursor = self.db.execute("SELECT id FROM carried")
        while rows := cursor.fetchmany(BATCH):
            yield from (row[0] for row in rows)

    def count(self) -> int:
        """Articles in the manifest this run makes: those read, and those carried."""
        self._flush()
        return (
            self.db.execute("SELECT count(*) FROM seen").fetchone()[0]
            + self.db.execute("SELECT count(*) FROM carried").fetchone()[0]
        )

    def differs_from_previous(self, reading: str | None = None) -> bool:
        """Whether the manifest this run makes is not the previous one (files moved, articles gone,
        raw keys learnt or lost, records read another way)."""
        self._flush()
        if reading is not None and reading != self.previous_reading:
            return True
        moved = self.db.execute(
            "SELECT 1 FROM seen s JOIN previous p USING (id)"
            " WHERE s.path != p.path OR s.hash != p.hash OR s.raw IS NOT p.raw LIMIT 1"
        ).fetchone()
        return (
            moved is not None
            or self.count() != self.previous_count()
            or self.db.execute(
                "SELECT 1 FROM seen s WHERE NOT EXISTS (SELECT 1 FROM previous p WHERE p.id = s.id) LIMIT 1"
            ).fetchone()
            is not None
        )

    def write(self, generation: Generation, reading: str | None = None) -> None:
        """Writes this run's manifest (seen and carried) into the generation, atomically, with the
        reading key its raw keys were made under."""
        self._flush()
        final = generation.path / MANIFEST_FILE
        temporary = generation.path / f".{MANIFEST_FILE}.{os.getpid()}.tmp"
        temporary.unlink(missing_ok=True)
        try:
            self.db.execute("ATTACH DATABASE ? AS out", (str(temporary),))
            try:
                self.db.executescript(f"""
                    CREATE TABLE out.articles {_TABLE};
                    CREATE TABLE out.meta (key TEXT PRIMARY KEY, value);
                    BEGIN;
                    INSERT INTO out.articles SELECT * FROM seen;
                    INSERT OR REPLACE INTO out.articles SELECT * FROM carried;
                    COMMIT;
                """)
                self.db.execute(
                    "INSERT INTO out.meta VALUES ('toc', ?)", (index_store.toc_generation(generation.path),)
                )
                if reading is not None:
                    self.db.execute("INSERT INTO out.meta VALUES ('reading', ?)", (reading,))
            finally:
                self.db.execute("DETACH DATABASE out")
            with open(temporary, "rb") as file:
                os.fsync(file.fileno())
            os.replace(temporary, final)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    def _insert(self, table: str, rows: Iterable[tuple[str, str, str]]) -> None:
        batch: list[tuple[str, str, bytes]] = []
        self.db.execute("BEGIN")
        try:
            for article_id, content_hash, path in rows:
                batch.append((article_id, content_hash, os.fsencode(path)))
                if len(batch) >= BATCH:
                    self.db.executemany(f"INSERT OR REPLACE INTO {table} (id, hash, path) VALUES (?, ?, ?)", batch)
                    batch = []
            self.db.executemany(f"INSERT OR REPLACE INTO {table} (id, hash, path) VALUES (?, ?, ?)", batch)
        finally:
            self.db.execute("COMMIT")
