"""One Searcher per process, opened on first use, shared by all threads, kept fresh after a reindex.

The server may start before the first `dateline reindex`: until an index exists every request
gets IndexUnavailable (a 503 with what to do), and the first request after the index appears
opens it, without a restart.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

from search.index_store import IndexMissing, live_version

from web.errors import IndexUnavailable


class SearcherHolder:
    def __init__(self, index_dir: str | Path, refresh_interval: float = 1.0, cache_size: int = 512,
                 opener: Callable[[Path], Any] | None = None) -> None:
        self.index_dir = Path(index_dir)
        self.refresh_interval = refresh_interval
        self._opener = opener
        self._searcher: Any = None
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._version: str | None = None
        self._cache = ResultCache(cache_size)

    def _open(self) -> Any:
        if self._opener is not None:
            return self._opener(self.index_dir)
        from search.searcher import Searcher  # the engine is imported on first use, not at app creation

        return Searcher.open(self.index_dir)

    def get(self) -> Any:
        """The shared Searcher, refreshed at most every `refresh_interval` seconds."""
        now = time.monotonic()
        searcher = self._searcher
        if searcher is not None and now - self._checked_at < self.refresh_interval:
            return searcher
        with self._lock:
            if self._searcher is None:
                if live_version(self.index_dir) is None:
                    raise IndexUnavailable(str(self.index_dir))
                try:
                    self._searcher = self._open()
                except (IndexMissing, FileNotFoundError) as error:
                    raise IndexUnavailable(str(self.index_dir), str(error)) from error
            elif time.monotonic() - self._checked_at >= self.refresh_interval:
                self._searcher.refresh()
            self._checked_at = time.monotonic()
            version = live_version(self.index_dir)
            if version != self._version:
                # Results of the previous index must never be served from the cache.
                self._version = version
                self._cache.clear()
            return self._searcher

    @property
    def version(self) -> str | None:
        return self._version

    def cached(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """compute() once per key and index version (compute must not depend on anything else)."""
        full_key = (self._version, key)
        hit = self._cache.get(full_key)
        if hit is not None:
            return hit
        value = compute()
        self._cache.put(full_key, value)
        return value

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


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
