"""The live generation pointer: which generation slot every search of the cluster reads.

A generation lives in a slot's indexes on every shard (search.cluster.spec) and is searched
through that slot's distributed index, so a search that names one slot sees one generation on
every shard. What must not be mixed is the pointer itself, and a node-by-node write would let
searches on different nodes, or a switch that failed half-way, disagree. So the pointer has one
home: the `dateline_meta` row of the coordinator. A switch is one REPLACE of that row (atomic on
the node): before it nothing has changed, after it every search that reads the pointer reads the
new slot. The other nodes hold copies, written after the switch, read only while the coordinator
does not answer; a copy that could not be written lags behind (the switch is reported, not undone)
and names the previous generation, which stays whole until the next rebuild. That rebuild first
brings every copy level with the coordinator and waits SWITCH_GRACE after the last switch before
it empties the other slot, so that a search that read the pointer just before the switch finishes
on a generation that is still whole.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from search.cluster import connection as sql
from search.cluster.connection import EntryPoints, NodeDown, connect
from search.cluster.spec import META, ClusterSpec, Node

# Longer than a searcher keeps a pointer before reading it again (ClusterSearch.refresh_interval,
# the web app's REFRESH_INTERVAL) plus a slow search.
SWITCH_GRACE = 5.0
POINTER_SQL = f"SELECT live, generation, counts, switched FROM {META} WHERE id = 1"


@dataclass(frozen=True)
class LiveGeneration:
    slot: str
    generation: int
    counts: tuple[int, ...]  # articles per shard, as written
    switched: float = 0.0  # when it became live (seconds since the epoch)


def pointer_of(rows: list[tuple]) -> LiveGeneration | None:
    if not rows:
        return None
    live, generation, counts, switched = rows[0]
    return LiveGeneration(str(live), int(generation), tuple(orjson.loads(counts or "[]")), int(switched) / 1000)


def pointer_row(live: LiveGeneration) -> tuple[str, list[object]]:
    """The REPLACE that makes `live` a node's pointer."""
    return (
        f"REPLACE INTO {META} (id, note, live, generation, counts, switched) VALUES (1, 'live', %s, %s, %s, %s)",
        [live.slot, live.generation, orjson.dumps(list(live.counts)).decode(), round(live.switched * 1000)],
    )


class PointerReader:
    """Reads the pointer from the coordinator; while it does not answer, from the first other node
    that does. Safe to share between threads."""

    def __init__(self, spec: ClusterSpec) -> None:
        self.coordinator = spec.coordinator
        self.copies = EntryPoints([n for n in spec.entry_points if n is not spec.coordinator])
        self._connection: Any = None
        self._lock = threading.Lock()

    def read(self) -> LiveGeneration | None:
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = connect(self.coordinator, timeout=1.0)
                return pointer_of(sql.run(self._connection, POINTER_SQL))
            except (NodeDown, sql.Error):
                self._close()
        sets, _ = self.copies.query_sets(POINTER_SQL)
        return pointer_of(sets[0])

    def _close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # a dead node's connection: nothing to close
                pass
        self._connection = None

    def close(self) -> None:
        with self._lock:
            self._close()
        self.copies.close()


def switch(spec: ClusterSpec, run: Callable[[Node, str, list[object]], object], live: LiveGeneration) -> list[Node]:
    """Makes `live` the live generation: the coordinator's pointer (the switch; raises when it
    fails, nothing changed), then each copy; the nodes whose copy could not be written."""
    text, args = pointer_row(live)
    run(spec.coordinator, text, args)
    lagging = []
    for node in spec.nodes:
        if node is spec.coordinator:
            continue
        try:
            run(node, text, args)
        except Exception:  # the switch stands; the copy is brought level by the next rebuild
            lagging.append(node)
    return lagging


def wait_for_grace(live: LiveGeneration | None, grace: float = SWITCH_GRACE) -> None:
    """Waits until `grace` has passed since `live` became live (searches may still read its predecessor)."""
    if live is not None:
        time.sleep(max(0.0, live.switched + grace - time.time()))
