"""Writing a generation into the cluster: every shard's articles to its primary and its mirrors.

Sphinx 2.2 has no replication, so Dateline writes each row to every replica of its shard. A full
rebuild fills the generation slot that is not live (TRUNCATE RTINDEX, then INSERTs), checks that
every replica holds what was written, and only then switches the live generation pointer to the
new slot in one write (search.cluster.pointer): searches read the live slot throughout. A replica that cannot be reached fails
the rebuild with one line naming it, before the switch; a mirror that later holds fewer articles
than its primary (`replica_report`) is reported, and `catch_up` copies the primary's rows to it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import orjson

from search.analysis import NewsTokenizer, news_analyzer
from search.cluster import connection as sql
from search.cluster.connection import NodeDown, connect
from search.cluster.documents import ArticleRow
from search.cluster.pointer import POINTER_SQL, LiveGeneration, pointer_of, pointer_row, switch, wait_for_grace
from search.cluster.spec import ARTICLES, NAMES, SLOTS, VOCAB, ClusterSpec, Node
from search.cluster.vocabulary import VOCAB_COLUMNS, ShardTerms, initial_word
from search.facet_registry import FACET_FIELDS

BATCH_ROWS = 200
ARTICLE_COLUMNS = (
    "id",
    "title",
    "subtitle",
    "body",
    "facets",
    "every",
    "aid",
    "doc",
    "ts",
    "dated",
    "day",
    "grp",
    "copies",
    "seq",
    *FACET_FIELDS,
)
MVA_COLUMNS = frozenset(FACET_FIELDS)


class ClusterWriteError(RuntimeError):
    """A generation could not be written; the live one is untouched. One line, naming the node."""


@dataclass(frozen=True)
class Generation:
    slot: str
    number: int


def _failed(node: Node, error: BaseException) -> ClusterWriteError:
    reason = error.args[1] if isinstance(error, sql.Error) and len(error.args) > 1 else error
    text = " ".join(str(reason).split()).rstrip("\x00")
    text = text if len(text) <= 200 else text[:200] + "…"
    return ClusterWriteError(f"{node.label} at {node.address} failed: {text}; the live generation is untouched")


def _insert(table: str, columns: Sequence[str], rows: list[dict[str, Any]], verb: str = "INSERT") -> tuple[str, list]:
    values, args = [], []
    for row in rows:
        cells = []
        for column in columns:
            value = row[column]
            if column in MVA_COLUMNS:
                cells.append("(" + ",".join(str(int(v)) for v in value) + ")")
            elif isinstance(value, int):
                cells.append(str(value))
            else:
                cells.append("%s")
                args.append(value)
        values.append("(" + ",".join(cells) + ")")
    return f"{verb} INTO {table} ({','.join(columns)}) VALUES {','.join(values)}", args


class ClusterWriter:
    """The write side: one rebuild at a time (the caller holds the cluster folder's writer lock)."""

    def __init__(self, spec: ClusterSpec, analyzer: NewsTokenizer | None = None) -> None:
        self.spec = spec
        self.analyzer = analyzer or news_analyzer()
        self._connections: dict[str, Any] = {}

    def _connection(self, node: Node) -> Any:
        connection = self._connections.get(node.name)
        if connection is None:
            try:
                connection = self._connections[node.name] = connect(node)
            except NodeDown as error:
                raise ClusterWriteError(f"{error}; the live generation is untouched") from None
        return connection

    def _run(self, node: Node, text: str, args: Sequence[object] | None = None) -> list[tuple]:
        try:
            return sql.run(self._connection(node), text, args)
        except sql.Error as error:
            self._connections.pop(node.name, None)
            raise _failed(node, error) from None

    def live(self) -> LiveGeneration | None:
        """The live generation as the coordinator's pointer says (search.cluster.pointer)."""
        return pointer_of(self._run(self.spec.coordinator, POINTER_SQL))

    def new_generation(self) -> Generation:
        """The slot that is not live, emptied on every replica (every node must answer). First every
        node's copy of the pointer is brought level with the coordinator's, and the last switch is
        given SWITCH_GRACE: no search still reads the slot about to be emptied."""
        for node in self.spec.nodes:
            self._connection(node)  # all reachable before anything is touched
        live = self.live()
        if live is not None:
            self.level_pointer_copies(live)
            wait_for_grace(live)
        slot = SLOTS[0] if live is None else SLOTS[(SLOTS.index(live.slot) + 1) % len(SLOTS)]
        for replicas in self.spec.shards:
            for node in replicas:
                for table in (ARTICLES, NAMES, VOCAB):
                    self.truncate(node, table.format(slot=slot))
        return Generation(slot, (live.generation if live else 0) + 1)

    def lagging_pointer_copies(self, live: LiveGeneration) -> list[tuple[Node, LiveGeneration | None]]:
        """The nodes whose copy of the live pointer is not the coordinator's, with what they name."""
        copies = [(node, pointer_of(self._run(node, POINTER_SQL))) for node in self.spec.nodes[1:]]
        return [(node, copy) for node, copy in copies if copy != live]

    def level_pointer_copies(self, live: LiveGeneration) -> list[Node]:
        """Writes the coordinator's pointer to every node whose copy lags; those nodes."""
        text, args = pointer_row(live)
        lagging = [node for node, _ in self.lagging_pointer_copies(live)]
        for node in lagging:
            self._run(node, text, args)
        return lagging

    def truncate(self, node: Node, table: str) -> None:
        """Empties an RT index: Sphinx 2.2 says TRUNCATE RTINDEX, Manticore TRUNCATE TABLE."""
        try:
            sql.run(self._connection(node), f"TRUNCATE RTINDEX {table}")
        except sql.Error as error:
            if sql.is_connection_error(error):
                raise _failed(node, error) from None
            self._run(node, f"TRUNCATE TABLE {table}")

    def batch(self, generation: Generation) -> ShardedBatch:
        return ShardedBatch(self, generation)

    def count(self, node: Node, slot: str) -> int:
        rows = self._run(node, f"SELECT COUNT(*) FROM {ARTICLES.format(slot=slot)}")
        return int(rows[0][0]) if rows else 0

    def publish(self, generation: Generation, counts: Sequence[int]) -> list[Node]:
        """Switches the live generation to `generation` in one write (search.cluster.pointer.switch);
        raises ClusterWriteError when that write fails (the live generation is then untouched).
        Returns the nodes whose copy of the pointer lags (the next rebuild brings them level)."""
        live = LiveGeneration(generation.slot, generation.number, tuple(counts), time.time())
        return switch(self.spec, lambda node, text, args: self._run(node, text, args), live)

    def close(self) -> None:
        for connection in self._connections.values():
            try:
                connection.close()
            except Exception:  # a dead node's connection: nothing to close
                pass
        self._connections.clear()


@dataclass
class _ShardBuffer:
    rows: list[dict[str, Any]] = field(default_factory=list)
    names: dict[int, tuple[int, int, str]] = field(default_factory=dict)
    written: int = 0
    named: set[int] = field(default_factory=set)
    terms: ShardTerms = field(default_factory=ShardTerms)


class ShardedBatch:
    """Rows routed to shards by id (a wire copy by its group's: search.cluster.documents.ArticleRow.group),
    written to every replica in batches of BATCH_ROWS."""

    def __init__(self, writer: ClusterWriter, generation: Generation) -> None:
        self.writer = writer
        self.generation = generation
        self.shards = [_ShardBuffer() for _ in writer.spec.shards]
        self.ids: set[int] = set()

    def add_row(self, row: ArticleRow) -> None:
        if row.id in self.ids:
            return  # the same article twice (the first copy is indexed)
        self.ids.add(row.id)
        number = row.group % len(self.shards)
        shard = self.shards[number]
        shard.rows.append({"id": row.id, **row.values})
        shard.terms.add(row.values)
        for name in row.names:
            if name[0] not in shard.named:
                shard.names[name[0]] = name
        if len(shard.rows) >= BATCH_ROWS:
            self._flush(number)

    def add_names(self, names: Iterable[tuple[int, int, str]]) -> None:
        """Rows of the names index that belong to no article (aliases), spread over the shards by hash."""
        for name in names:
            number = name[0] % len(self.shards)
            shard = self.shards[number]
            shard.names[name[0]] = name
            if len(shard.names) >= BATCH_ROWS:
                self._flush(number)

    def _flush(self, number: int) -> None:
        shard = self.shards[number]
        slot = self.generation.slot
        if shard.rows:
            text, args = _insert(ARTICLES.format(slot=slot), ARTICLE_COLUMNS, shard.rows)
            for node in self.writer.spec.shards[number]:
                self.writer._run(node, text, args)
            shard.written += len(shard.rows)
            shard.rows = []
        if shard.names:
            rows = [
                {"id": i, "words": label.casefold(), "kind": facet, "label": label}
                for i, facet, label in shard.names.values()
            ]
            text, args = _insert(NAMES.format(slot=slot), ("id", "words", "kind", "label"), rows, verb="REPLACE")
            for node in self.writer.spec.shards[number]:
                self.writer._run(node, text, args)
            shard.named.update(shard.names)
            shard.names = {}

    def commit(self) -> list[int]:
        """Writes what is buffered and each shard's terms, and checks every replica holds its
        articles; the articles per shard."""
        for number in range(len(self.shards)):
            self._flush(number)
            rows = self.shards[number].terms.rows(number)
            while chunk := list(islice(rows, BATCH_ROWS * 5)):
                text, args = _insert(VOCAB.format(slot=self.generation.slot), VOCAB_COLUMNS, chunk, verb="REPLACE")
                for node in self.writer.spec.shards[number]:
                    self.writer._run(node, text, args)
        for number, replicas in enumerate(self.writer.spec.shards):
            expected = self.shards[number].written
            for node in replicas:
                held = self.writer.count(node, self.generation.slot)
                if held != expected:
                    raise ClusterWriteError(
                        f"{node.label} at {node.address} holds {held} articles, "
                        f"{expected} were written; the live generation is untouched"
                    )
        return [shard.written for shard in self.shards]


@dataclass(frozen=True)
class ReplicaState:
    node: Node
    held: int | None  # None: did not answer
    expected: int

    @property
    def line(self) -> str:
        if self.held is None:
            return f"{self.node.label} at {self.node.address}: down"
        if self.held != self.expected:
            return f"{self.node.label} at {self.node.address}: STALE, {self.held} of {self.expected} articles"
        return f"{self.node.label} at {self.node.address}: {self.held} articles"


def replica_report(spec: ClusterSpec) -> list[ReplicaState]:
    """What every replica holds of the live generation against what was written to it."""
    writer = ClusterWriter(spec)
    try:
        live = writer.live()
        counts = list(live.counts) if live else [0] * len(spec.shards)
        states = []
        for number, replicas in enumerate(spec.shards):
            for node in replicas:
                try:
                    held: int | None = writer.count(node, live.slot) if live else 0
                except ClusterWriteError:
                    held = None
                states.append(ReplicaState(node, held, int(counts[number]) if number < len(counts) else 0))
        return states
    finally:
        writer.close()


def pointer_report(spec: ClusterSpec, level: bool = False) -> list[str]:
    """A line per node whose copy of the live pointer lags the coordinator's (a switch that could
    not write it); with `level`, the copy is written. Nodes that do not answer are left out."""
    writer = ClusterWriter(spec)
    try:
        live = writer.live()
        if live is None:
            return []
        lines = []
        for node in spec.nodes[1:]:
            try:
                copy = pointer_of(writer._run(node, POINTER_SQL))
                if copy != live and level:
                    writer._run(node, *pointer_row(live))
            except ClusterWriteError:
                continue
            if copy != live:
                named = f"generation {copy.generation} (slot {copy.slot})" if copy else "no generation"
                done = "; set to" if level else "; live is"
                lines.append(
                    f"{node.label} at {node.address}: pointer copy names {named}{done} generation "
                    f"{live.generation} (slot {live.slot})"
                )
        return lines
    finally:
        writer.close()


def catch_up(spec: ClusterSpec, node: Node) -> int:
    """Rewrites a replica's live generation from its shard's primary; the articles copied."""
    if node.shard is None or node is spec.shards[node.shard][0]:
        raise ClusterWriteError(f"{node.label} is not a mirror")
    writer = ClusterWriter(spec)
    try:
        live = writer.live()
        if live is None:
            return 0
        slot = live.slot
        primary = spec.shards[node.shard][0]
        for table in (ARTICLES, NAMES, VOCAB):
            writer.truncate(node, table.format(slot=slot))
        copied = 0
        # The articles, with the person values (the name map's), groups and order the primary holds.
        for rows in _pages(writer, primary, ARTICLES.format(slot=slot), "doc, person, grp, copies, seq"):
            built = [
                ArticleRow.from_stored(orjson.loads(doc), writer.analyzer)
                .with_people(sql.mva(people))
                .in_group(int(grp), int(copies))
                .numbered(int(seq))
                for _, doc, people, grp, copies, seq in rows
            ]
            text, args = _insert(ARTICLES.format(slot=slot), ARTICLE_COLUMNS, [{"id": r.id, **r.values} for r in built])
            writer._run(node, text, args)
            copied += len(rows)
        for rows in _pages(writer, primary, VOCAB.format(slot=slot), "sid, term, length, title_df, body_df"):
            terms = [
                (int(i), initial_word(str(t)), int(sid), str(t), int(n), int(td), int(bd))
                for i, sid, t, n, td, bd in rows
            ]
            text, args = _insert(
                VOCAB.format(slot=slot), VOCAB_COLUMNS, [dict(zip(VOCAB_COLUMNS, t)) for t in terms], "REPLACE"
            )
            writer._run(node, text, args)
        for rows in _pages(writer, primary, NAMES.format(slot=slot), "kind, label"):
            names = [{"id": int(i), "words": str(n).casefold(), "kind": int(k), "label": str(n)} for i, k, n in rows]
            text, args = _insert(NAMES.format(slot=slot), ("id", "words", "kind", "label"), names, verb="REPLACE")
            writer._run(node, text, args)
        return copied
    finally:
        writer.close()


def _pages(writer: ClusterWriter, node: Node, table: str, columns: str) -> Iterator[list[tuple]]:
    """A table's rows on one node, id first, BATCH_ROWS at a time in id order."""
    last = 0
    while rows := writer._run(
        node,
        f"SELECT id, {columns} FROM {table} WHERE id > %s ORDER BY id ASC LIMIT {BATCH_ROWS} "
        f"OPTION max_matches = {BATCH_ROWS}",
        [last],
    ):
        yield rows
        last = int(rows[-1][0])
