"""Whoosh writers for the indexer: one in-process writer for small batches, writer processes for large ones.

The writer processes index exactly as Whoosh does with faster code paths (Whoosh spends most
of its time in per-token and per-posting Python calls: search.index.whoosh_internals.writing);
tests/test_reindex_cli.py checks the result posting by posting against Whoosh's own writer.
"""

from __future__ import annotations

import whoosh.index
from whoosh.writing import SegmentWriter

from search.index.whoosh_internals.codec import DatelineCodec
from search.index.whoosh_internals.writing import ParallelWriter

# Up to this many documents to write, one writer process does the work; beyond it,
# starting the parallel writer processes pays off.
PARALLEL_WRITE_THRESHOLD = 2000
# Documents per job file handed to a writer process (Whoosh's default is 100).
WRITER_BATCH_SIZE = 250
# Memory of each writer's posting pool before it spills a sorted run to disk.
WRITER_LIMIT_MB = 256
# Segments stay separate files, never one compound file: Whoosh reads a compound file's parts by
# copying them into memory (a 200,000-article index: 2 GB of postings copied into every serving
# process), while separate files are read where they lie, through the page cache.
COMPOUND_SEGMENTS = False


def index_codec() -> DatelineCodec:
    """Whoosh's codec, its posting blocks pickled with a newer protocol (whoosh_internals.codec.DatelineCodec)
    and without zlib: about 13% faster to write and no inflating on every query, for an index about
    1.5x larger."""
    return DatelineCodec(compression=0)


class DocumentSink:
    """Buffers documents until it knows whether one writer or several processes should write them."""

    def __init__(self, ix: whoosh.index.Index, workers: int, expected: int = 0) -> None:
        self.ix = ix
        self.workers = workers
        self.buffer: list[dict] = []
        self.deletions: list[str] = []
        self.writer: SegmentWriter | ParallelWriter | None = None
        if expected >= PARALLEL_WRITE_THRESHOLD and workers > 1:
            # A rebuild of a large index: start the writer processes now, not after buffering.
            self._open(parallel=True)

    @property
    def pending(self) -> bool:
        return bool(self.buffer or self.deletions or self.writer)

    def add(self, doc: dict) -> None:
        if self.writer is not None:
            self.writer.add_document(**doc)
            return
        self.buffer.append(doc)
        if len(self.buffer) >= PARALLEL_WRITE_THRESHOLD:
            self._open(parallel=self.workers > 1)

    def delete(self, article_id: str) -> None:
        self.deletions.append(article_id)

    def _open(self, parallel: bool) -> None:
        if parallel:
            self.writer = ParallelWriter(
                self.ix,
                procs=self.workers,
                batchsize=WRITER_BATCH_SIZE,
                multisegment=True,
                limitmb=WRITER_LIMIT_MB,
                codec=index_codec(),
                compound=COMPOUND_SEGMENTS,
            )
        else:
            self.writer = SegmentWriter(
                self.ix, limitmb=WRITER_LIMIT_MB, codec=index_codec(), compound=COMPOUND_SEGMENTS
            )
        buffered, self.buffer = self.buffer, []
        for doc in buffered:
            self.writer.add_document(**doc)

    def commit(self) -> None:
        if self.writer is None:
            self._open(parallel=False)
        assert self.writer is not None
        if self.deletions:
            # One searcher for all of them: Whoosh opens a new one (every segment's term table) per
            # deletion otherwise, 10,000 changed articles of a 200,000-article index took 45 s.
            # It sees only committed segments, so a deletion never hits a new document.
            searcher = self.writer.searcher()
            try:
                for article_id in self.deletions:
                    self.writer.delete_by_term("id", article_id, searcher=searcher)
            finally:
                searcher.close()
        self.writer.commit()
        self.writer = None

    def cancel(self) -> None:
        if self.writer is not None:
            try:
                self.writer.cancel()
            except Exception:  # the interruption matters more than the cleanup
                pass
            self.writer = None
