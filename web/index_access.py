"""One Searcher per process, opened on first use, shared by all threads, kept fresh after a reindex.

The server may start before the first `dateline reindex`: until an index exists every request
gets IndexUnavailable (a 503 with what to do), and the first request after the index appears
opens it, without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from search.index.store import IndexMissing, live_version
from search.settings import Limits
from web.errors import IndexUnavailable

log = logging.getLogger("dateline.web")

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

    def __init__(self, index_dir: str | Path, refresh_interval: float = 1.0, cache_size: int = 2048,
                 opener: Callable[[Path], Any] | None = None, background: bool = True,
                 close_grace: float = 60.0, limits: Limits | None = None) -> None:
        self.index_dir = Path(index_dir)
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
        self._cache = ResultCache(cache_size)
        self._recent = ResultCache(min(cache_size, RECENT_RESULTS))

    def _open(self) -> tuple[Any, str | None]:
        version = live_version(self.index_dir)  # read first: a publish during the open is seen next time
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

        def open_quietly() -> None:
            try:
                self.snapshot()
            except IndexUnavailable:
                pass
            except Exception:
                log.exception("could not open the index in %s", self.index_dir)

        threading.Thread(target=open_quietly, name="dateline-index-open", daemon=True).start()

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
        now = time.monotonic()
        if now - self._checked_at >= self.refresh_interval:
            self._checked_at = now
            if live_version(self.index_dir) not in (self._current[1], None):
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
    """A small thread-safe LRU: popular searches (the empty page, facet clicks) cost one lookup."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        if self.size <= 0:
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
