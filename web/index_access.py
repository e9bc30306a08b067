"""One Searcher per process, opened on first use, shared by all threads, kept fresh after a reindex.

The server may start before the first `dateline reindex`: until an index exists every request
gets IndexUnavailable (a 503 with what to do), and the first request after the index appears
opens it, without a restart.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from search.index.store import IndexMissing, live_version, register_reader, unregister_reader
from search.settings import SETTINGS_BY_NAME, Limits
from web.errors import IndexUnavailable

log = logging.getLogger("dateline.web")

# Seconds between a server process's checks for a newly published index (two small file reads).
WATCH_INTERVAL = 0.05
DEFAULT_CACHE_BYTES = int(SETTINGS_BY_NAME["cache_mb"].default * 1_000_000)
# What an entry that is not bytes (a result, a related list) is counted as: they are small objects
# (10 hits, facet tops, at most MAX_BARS dates); counting them exactly would cost more than they do.
OBJECT_BYTES = 16 * 1024

# Search results (large objects) are kept only while the same search is likely to be asked for
# in its other format: the page and its JSON twin, both of which are cached as bytes for longer.
RECENT_RESULTS = 256


class SearcherHolder:
    """Opens the Searcher on first use; afterwards swaps in a fresh one when a reindex published.

    The fresh Searcher is opened in a background thread while requests go on being served by the
    current one (opening a large index builds its facet arrays: seconds that nobody should wait
    for), then swapped in. The old one is closed after a grace period, once requests that still
    hold it have long finished. With `background=False` the reload happens in the request that
    noticed the change (simpler; used where a stall does not matter).
    """

    def __init__(
        self,
        index_dir: str | Path,
        refresh_interval: float = 1.0,
        cache_size: int = 2048,
        opener: Callable[[Path], Any] | None = None,
        background: bool = True,
        close_grace: float = 60.0,
        limits: Limits | None = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        version: Callable[[], str | None] | None = None,
    ) -> None:
        self.index_dir = Path(index_dir)
        # The live index version; a search cluster passes its own (search.cluster.open).
        self._version = version or (lambda: live_version(self.index_dir))
        self._index_folder = version is None  # readers register in an index folder, not in a cluster
        self.limits = limits
        self.refresh_interval = refresh_interval
        self.background = background
        self.close_grace = close_grace
        self._opener = opener
        # The open Searcher and the index version it reads, swapped together as one tuple.
        self._current: tuple[Any, str | None] = (None, None)
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._reloading = False
        self._watching = False
        self._first_open = threading.Event()  # set once the first open has succeeded or failed
        self._cache = ResultCache(cache_size, cache_bytes)
        self._recent = ResultCache(min(cache_size, RECENT_RESULTS), cache_bytes)

    def _open(self) -> tuple[Any, str | None]:
        version = self._version()  # read first: a publish during the open is seen next time
        if version is None:
            raise IndexUnavailable(str(self.index_dir))
        try:
            if self._opener is not None:
                return self._opener(self.index_dir), version
            # The engine is imported on first use, not at app creation.
            from search.engine.whoosh_engine import open_search_engine

            return open_search_engine(self.index_dir, limits=self.limits), version
        except (IndexMissing, FileNotFoundError) as error:
            raise IndexUnavailable(str(self.index_dir), str(error)) from error

    def warm(self) -> None:
        """Open the index now in a background thread (a server process that just started);
        requests meanwhile wait for it as they would for the first open. No index yet is fine."""
        threading.Thread(target=self._open_quietly, name="dateline-index-open", daemon=True).start()

    def _open_quietly(self) -> None:
        try:
            self.snapshot()
        except IndexUnavailable:
            pass
        except Exception:
            log.exception("could not open the index in %s", self.index_dir)
        finally:
            self._first_open.set()

    def wait_until_open(self, timeout: float) -> bool:
        """True once the first open (started by warm() or watch()) has finished, either way."""
        return self._first_open.wait(timeout)

    def watch(self, interval: float = WATCH_INTERVAL) -> None:
        """A server process: open the index now, then, in a background thread, open every newly
        published version as soon as it appears and switch to it once open, and tell the index
        folder which version this process serves: `dateline reindex` returns once every server
        serves what it wrote, so no request after it sees the old index, and none waits for an open."""
        self._watching = True
        if self._index_folder:
            atexit.register(unregister_reader, self.index_dir)

        def follow() -> None:
            self._open_quietly()
            told: object = object()
            while True:
                try:
                    if self._version() not in (self._current[1], None):
                        self._reload_in_this_thread()
                    if self._current[1] != told and self._index_folder:
                        told = self._current[1]
                        register_reader(self.index_dir, self._current[1])
                except Exception:
                    log.exception("watching %s for a new index", self.index_dir)
                time.sleep(interval)

        threading.Thread(target=follow, name="dateline-index-watch", daemon=True).start()

    def get(self) -> Any:
        return self.snapshot()[0]

    def snapshot(self) -> tuple[Any, str | None]:
        """The shared Searcher and its index version; checks for a newer index at most every
        `refresh_interval` seconds."""
        if self._current[0] is None:
            with self._lock:
                if self._current[0] is None:
                    self._swap(*self._open())
                    self._checked_at = time.monotonic()
                return self._current
        if self._watching:
            return self._current  # the watching thread switches versions
        now = time.monotonic()
        if now - self._checked_at >= self.refresh_interval:
            self._checked_at = now
            if self._version() not in (self._current[1], None):
                self._reload()
        return self._current

    def _reload(self) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True
        if self.background:
            threading.Thread(target=self._reload_now, name="dateline-index-reload", daemon=True).start()
        else:
            self._reload_now()

    def _reload_in_this_thread(self) -> None:
        with self._lock:
            if self._reloading:
                return
            self._reloading = True
        self._reload_now()

    def _reload_now(self) -> None:
        try:
            fresh, version = self._open()
        except Exception:
            log.exception("could not open the new index in %s; still serving the previous one", self.index_dir)
            with self._lock:
                self._reloading = False
            return
        with self._lock:
            old = self._swap(fresh, version)
            self._reloading = False
        if old is not None:
            log.info("index %s: now serving %s", self.index_dir, version)
            timer = threading.Timer(self.close_grace, _close_quietly, args=(old,))
            timer.daemon = True
            timer.start()

    def _swap(self, searcher: Any, version: str | None) -> Any:
        old = self._current[0]
        self._current = (searcher, version)
        self._cache.clear()  # results of the previous index must never be served again
        self._recent.clear()
        return old

    @property
    def cached_bytes(self) -> tuple[int, int]:
        """Bytes held by the page cache and by the recent-results cache."""
        return self._cache.bytes, self._recent.bytes

    @property
    def version(self) -> str | None:
        return self._current[1]

    def cached(self, version: str | None, key: Hashable, compute: Callable[[], Any], recent: bool = False) -> Any:
        """compute() once per key and index version; compute must use the Searcher of that version.
        With `recent`, the value is kept in the small cache of recent search results."""
        cache = self._recent if recent else self._cache
        hit = cache.get((version, key))
        if hit is not None:
            return hit
        value = compute()
        if version == self._current[1]:  # a result of a replaced index is not kept
            cache.put((version, key), value)
        return value

    def close(self) -> None:
        with self._lock:
            old = self._swap(None, None)
        if old is not None:
            old.close()


def _close_quietly(searcher: Any) -> None:
    try:
        searcher.close()
    except Exception:
        log.exception("closing a previous index searcher")


class ResultCache:
    """A small thread-safe LRU: popular searches (the empty page, facet clicks) cost one lookup.

    Bounded both in entries and in bytes, so a few huge pages cannot grow a worker without limit."""

    def __init__(self, size: int, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        if self.size <= 0:
            return None
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: Hashable, value: Any) -> None:
        cost = len(value) if isinstance(value, (bytes, str)) else OBJECT_BYTES
        if self.size <= 0 or cost > self.max_bytes:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self.bytes -= previous[1]
            self._items[key] = (value, cost)
            self.bytes += cost
            while len(self._items) > self.size or self.bytes > self.max_bytes:
                self.bytes -= self._items.popitem(last=False)[1][1]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0
