"""The index folder on disk: generations, the CURRENT pointer, the writer lock.

Layout of an index folder (``index/`` by default)::

    CURRENT             name of the live generation, e.g. "gen-000042" (replaced atomically)
    gen-000042/         a Whoosh index (+ dateline.json: format; manifest.sqlite: id -> hash, file;
                        columns-7/: its facet and date columns at Whoosh commit 7, search.index.columns)
    gen-000041/         the previous generation, kept so searchers still holding it keep working
    reindex.lock        fcntl lock: one reindex at a time; holds the writer's pid
    entities.sqlite     entity cache, shared by all generations (search.entities.cache)
    readers/            one file per serving process: the version it serves (see wait_for_readers)

A full rebuild writes a new generation beside the live one and publishes it by
replacing CURRENT (os.replace), so a crash at any moment leaves the previous
generation live and intact. Incremental updates commit into the live generation
through Whoosh's own atomic table-of-contents swap. Searchers open the index with
`open_live_index()` and notice any change by comparing `live_version()`.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import whoosh.index
from whoosh.filedb.filestore import FileStorage

CURRENT_FILE = "CURRENT"
LOCK_FILE = "reindex.lock"
META_FILE = "dateline.json"
MANIFEST_FILE = "manifest.sqlite"  # search.index.manifest
ENTITY_CACHE_FILE = "entities.sqlite"
GENERATION_PREFIX = "gen-"
READERS_DIR = "readers"
# How long a reindex waits, after publishing, for the serving processes to switch to what it wrote.
READERS_TIMEOUT_SECONDS = 60.0

_GENERATION_NAME = re.compile(r"^gen-(\d{6,})$")
_TOC_NAME = re.compile(r"^_MAIN_(\d+)\.toc$")


class IndexMissing(Exception):
    """There is no live index in the folder yet (run `dateline reindex`)."""


class IndexBusy(Exception):
    """Another reindex holds the writer lock (and we were asked not to wait)."""

    def __init__(self, pid: int | None) -> None:
        self.pid = pid
        who = f"pid {pid}" if pid else "another process"
        super().__init__(f"another reindex ({who}) is running")


@dataclass(frozen=True, slots=True)
class Generation:
    """One complete Whoosh index inside the index folder."""

    number: int
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


def generation_path(index_dir: Path, number: int) -> Path:
    return Path(index_dir) / f"{GENERATION_PREFIX}{number:06d}"


def list_generations(index_dir: Path) -> list[Generation]:
    """Every generation folder, live or not, oldest first."""
    index_dir = Path(index_dir)
    if not index_dir.is_dir():
        return []
    found = []
    for entry in index_dir.iterdir():
        match = _GENERATION_NAME.match(entry.name)
        if match and entry.is_dir():
            found.append(Generation(int(match.group(1)), entry))
    return sorted(found, key=lambda g: g.number)


def current_generation(index_dir: Path) -> Generation | None:
    """The live generation, or None when nothing has been published yet."""
    try:
        name = (Path(index_dir) / CURRENT_FILE).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    match = _GENERATION_NAME.match(name)
    path = Path(index_dir) / name
    if not match or not path.is_dir():
        return None
    return Generation(int(match.group(1)), path)


def open_live_index(index_dir: Path) -> whoosh.index.Index:
    """The live Whoosh index of an index folder, for searching.

    Raises IndexMissing when no index has been built there. Keep the returned
    object while `live_version(index_dir)` stays the same; reopen when it changes.
    """
    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissing(f"no index in {index_dir} (run `dateline reindex`)")
    return open_generation(generation)


def open_generation(generation: Generation) -> whoosh.index.Index:
    """One generation's Whoosh index, for reading."""
    # Without mmap: Whoosh reads a part of a compound segment file (indexes written before segments
    # were kept as separate files) by copying it out of the map, the whole postings file into
    # every serving process; unmapped, it reads the part where it lies.
    return FileStorage(str(generation.path), supports_mmap=False).open_index()


def live_version(index_dir: Path) -> str | None:
    """A token that changes whenever a reindex publishes anything: "gen-000042/7".

    The generation folder (changes on a full rebuild) and Whoosh's commit number
    inside it (changes on an incremental update). Cheap: one small file read and
    one directory listing. None when there is no live index.
    """
    generation = current_generation(index_dir)
    if generation is None:
        return None
    return f"{generation.name}/{toc_generation(generation.path)}"


def toc_generation(path: Path) -> int:
    """Whoosh's latest commit number in an index folder (-1 when empty)."""
    numbers = [int(m.group(1)) for name in os.listdir(path) if (m := _TOC_NAME.match(name))]
    return max(numbers, default=-1)


# --- metadata of a generation ---------------------------------------------------------


def read_meta(generation: Generation) -> dict:
    try:
        return orjson.loads((generation.path / META_FILE).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return {}


def write_json_atomically(path: Path, value: object) -> None:
    data = orjson.dumps(value)  # before any file exists: a value that cannot be written leaves nothing
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_meta(generation: Generation, meta: dict) -> None:
    write_json_atomically(generation.path / META_FILE, meta)


# --- writing: new generations, publishing, cleaning up ---------------------------------


def create_generation(index_dir: Path, schema) -> Generation:
    """A new, empty Whoosh index in a fresh generation folder (not live yet)."""
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    numbers = [g.number for g in list_generations(index_dir)]
    live = current_generation(index_dir)
    if live:
        numbers.append(live.number)
    number = max(numbers, default=0) + 1
    generation = Generation(number, generation_path(index_dir, number))
    generation.path.mkdir()
    FileStorage(str(generation.path)).create_index(schema)
    return generation


def _fsync_tree(path: Path) -> None:
    for entry in path.iterdir():
        if entry.is_file():
            with open(entry, "rb") as file:
                os.fsync(file.fileno())
    _fsync_dir(path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(index_dir: Path, generation: Generation) -> None:
    """Make a generation live: its files reach the disk, then CURRENT is replaced atomically."""
    _fsync_tree(generation.path)
    pointer = Path(index_dir) / CURRENT_FILE
    temporary = pointer.with_name(f".{CURRENT_FILE}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="ascii") as file:
        file.write(generation.name + "\n")
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, pointer)
    _fsync_dir(Path(index_dir))


def clean_up(index_dir: Path, keep_previous: int = 1, runs: bool = True) -> list[Path]:
    """Removes half-built and old generations; call only while holding the writer lock.

    Generations newer than the live one were left by a build that never finished.
    Of the older ones the newest `keep_previous` stay: a searcher that opened one
    just before the swap may still ask it for a new reader.
    """
    index_dir = Path(index_dir)
    live = current_generation(index_dir)
    removed = []
    older = []
    for generation in list_generations(index_dir):
        if live is not None and generation.number == live.number:
            continue
        if live is None or generation.number > live.number:
            removed.append(generation.path)
        else:
            older.append(generation.path)
    removed += older[: max(0, len(older) - keep_previous)]
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    if live is not None:
        # Scratch folders of a Whoosh writer that was killed (its posting runs, job files).
        for scratch in live.path.glob("*.tmp"):
            if scratch.is_dir():
                shutil.rmtree(scratch, ignore_errors=True)
                removed.append(scratch)
        for stale in live.path.glob(f".{MANIFEST_FILE}.*.tmp"):  # a manifest being written when killed
            stale.unlink(missing_ok=True)
            removed.append(stale)
    for stale in index_dir.glob(f".{CURRENT_FILE}.*.tmp") if index_dir.is_dir() else ():
        stale.unlink(missing_ok=True)
    # The run tables of a reindex that was killed (search.index.manifest.RunState); `runs=False`
    # from inside a run, whose own tables are still in use.
    for scratch in index_dir.glob(".reindex-*.tmp") if runs and index_dir.is_dir() else ():
        shutil.rmtree(scratch, ignore_errors=True)
        removed.append(scratch)
    return removed


def entity_cache_path(index_dir: Path) -> Path:
    return Path(index_dir) / ENTITY_CACHE_FILE


# --- one writer at a time ---------------------------------------------------------------


def _lock_holder(lock_path: Path) -> int | None:
    try:
        text = lock_path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


@contextmanager
def writer_lock(
    index_dir: Path, *, wait: bool = True, on_wait: Callable[[int | None], None] | None = None
) -> Iterator[None]:
    """Holds the index folder's writer lock (fcntl; released by the OS even on SIGKILL).

    When another process holds it: raise IndexBusy if not `wait`, else call
    `on_wait(pid)` once and block until it is free.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    lock_path = index_dir / LOCK_FILE
    # Never unlinked: removing a lock file lets two processes lock two different inodes.
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(lock_path)
            if not wait:
                raise IndexBusy(holder) from None
            if on_wait is not None:
                on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- readers: serving processes say which version they serve -----------------------------
#
# A reindex returns only once every serving process has opened what it published (or after
# READERS_TIMEOUT_SECONDS): the first request after `dateline reindex` returns sees the new index,
# and no request waits for an open, since the processes open it in the background while the
# reindex waits.


def _reader_file(index_dir: Path, pid: int) -> Path:
    return Path(index_dir) / READERS_DIR / f"{pid}.json"


def register_reader(index_dir: Path, version: str | None, pid: int | None = None) -> None:
    """Record that this process (or `pid`) now serves `version` of the index."""
    path = _reader_file(index_dir, pid or os.getpid())
    try:
        path.parent.mkdir(exist_ok=True)
        write_json_atomically(path, {"version": version})
    except OSError:
        pass  # a read-only index folder: nobody can wait for us, and nobody needs to


def reader_registered(index_dir: Path, pid: int) -> bool:
    """Whether a serving process has said which version it serves (it has opened the index, or tried)."""
    return _reader_file(index_dir, pid).exists()


def unregister_reader(index_dir: Path, pid: int | None = None) -> None:
    try:
        _reader_file(index_dir, pid or os.getpid()).unlink()
    except OSError:
        pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def readers_behind(index_dir: Path, version: str | None) -> list[int]:
    """Pids of the live serving processes not serving `version` yet (files of dead ones are removed)."""
    folder = Path(index_dir) / READERS_DIR
    behind = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        if not entry.name.endswith(".json") or not entry.stem.isdigit():
            continue
        pid = int(entry.stem)
        if not _alive(pid):
            unregister_reader(index_dir, pid)
            continue
        try:
            served = orjson.loads(entry.read_bytes()).get("version")
        except (OSError, orjson.JSONDecodeError, AttributeError):
            continue  # being replaced, or gone: read again on the next round
        if served != version:
            behind.append(pid)
    return behind


def wait_for_readers(index_dir: Path, timeout: float = READERS_TIMEOUT_SECONDS) -> list[int]:
    """Waits until every serving process serves the live version; the pids still behind at the timeout."""
    import time

    version = live_version(index_dir)
    deadline = time.monotonic() + timeout
    while (behind := readers_behind(index_dir, version)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return behind
