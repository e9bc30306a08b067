"""Whoosh writers for the indexer: one in-process writer for small batches, writer processes for large ones.

The writer processes run byte-for-byte the same indexing as Whoosh with faster code
paths (Whoosh spends most of its time in per-token and per-posting Python calls);
tests/test_reindex_cli.py checks the result posting by posting against Whoosh's own writer.
"""

from __future__ import annotations

import ctypes
import gc
import signal

import whoosh.index
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3Codec, W3PerDocReader, _lenfield
from whoosh.formats import Positions
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

from search.analysis import NewsTokenizer

# Up to this many documents to write, one writer process does the work; beyond it,
# starting the parallel writer processes pays off.
PARALLEL_WRITE_THRESHOLD = 2000
# Documents per job file handed to a writer process (Whoosh's default is 100).
WRITER_BATCH_SIZE = 250
# Memory of each writer's posting pool before it spills a sorted run to disk.
WRITER_LIMIT_MB = 256


def index_codec() -> W3Codec:
    """Whoosh's codec without zlib on posting blocks: about 13% faster to write and no
    inflating on every query, for an index about 1.5x larger (Reuters: 25 MB, not 16 MB)."""
    return W3Codec(compression=0)


class DocumentSink:
    """Buffers documents until it knows whether one writer or several processes should write them."""

    def __init__(self, ix: whoosh.index.Index, workers: int, expected: int = 0) -> None:
        self.ix = ix
        self.workers = workers
        self.buffer: list[dict] = []
        self.deletions: list[str] = []
        self.writer: SegmentWriter | None = None
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
            self.writer = _ParallelWriter(self.ix, procs=self.workers, batchsize=WRITER_BATCH_SIZE,
                                          multisegment=True, limitmb=WRITER_LIMIT_MB, codec=index_codec())
        else:
            self.writer = SegmentWriter(self.ix, limitmb=WRITER_LIMIT_MB, codec=index_codec())
        buffered, self.buffer = self.buffer, []
        for doc in buffered:
            self.writer.add_document(**doc)

    def commit(self) -> None:
        if self.writer is None:
            self._open(parallel=False)
        for article_id in self.deletions:
            # The writer's searcher sees only committed segments, so this never hits a new document.
            self.writer.delete_by_term("id", article_id)
        self.writer.commit()
        self.writer = None

    def cancel(self) -> None:
        if self.writer is not None:
            try:
                self.writer.cancel()
            except Exception:  # the interruption matters more than the cleanup
                pass
            self.writer = None


_PR_SET_PDEATHSIG = 1


class _SubWriter(SubWriterTask):
    """A Whoosh writer process that dies with its parent and leaves Ctrl-C to it."""

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:  # Linux: without this a SIGKILLed reindex leaves writers blocked on the job queue forever
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
        _use_fast_paths()
        # Indexing allocates millions of small, long-lived tuples and lists: the cyclic
        # collector would walk them again and again for no garbage (there are no cycles).
        gc.freeze()
        gc.set_threshold(200_000, 50, 100)
        super().run()


# --- fast paths for the writer processes ----------------------------------------------------
# Whoosh spends most of its indexing time in per-token and per-posting Python calls. These
# replacements write byte-for-byte the same index; they are installed only inside the writer
# processes this module starts, so nothing else in a program ever runs them.

_original_positions_word_values = Positions.word_values


def _positions_word_values(self, value, analyzer, **kwargs):
    if type(analyzer) is not NewsTokenizer or not isinstance(value, str):
        yield from _original_positions_word_values(self, value, analyzer, **kwargs)
        return
    field_boost = self.field_boost
    encode = self.encode
    # Every token of NewsTokenizer has boost 1.0, so a term's weight is its frequency.
    for term, positions in analyzer.term_positions(value).items():
        yield term, len(positions), float(len(positions)) * field_boost, encode(positions)


class _PreloadedLengths:
    """A per-document reader whose field lengths come from lists read once per field."""

    def __init__(self, reader) -> None:
        self._reader = reader
        self._tables: dict[str, list | None] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0):
        table = self._tables.get(fieldname, _MISSING)
        if table is _MISSING:
            column = self._reader._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            table = None if column is None else [byte_to_length(b) if b else None
                                                 for b in (column[i] for i in range(self._reader.doc_count_all()))]
            self._tables[fieldname] = table
        return default if table is None else table[docnum]

    def __getattr__(self, name: str):
        return getattr(self._reader, name)


_MISSING = object()


def _fast_text_field(field) -> bool:
    """A phrase TEXT field analysed by NewsTokenizer: its postings can be made in one step."""
    return (type(field.analyzer) is NewsTokenizer and type(field.format) is Positions
            and not field.vector and not field.separate_spelling())


class _FastSegmentWriter(SegmentWriter):
    def add_document(self, **fields) -> None:
        # SegmentWriter.add_document with one difference: text fields analysed by NewsTokenizer
        # go straight from term_positions() to the posting pool, without the three generators
        # (analyzer tokens, Format.word_values, FieldType.index) per term. Same postings.
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        add_post = self.pool.add

        docboost = self._doc_boost(fields)
        fieldnames = sorted([name for name in fields.keys() if not name.startswith("_")])
        self._check_fields(schema, fieldnames)

        perdocwriter.start_doc(docnum)
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]

            length = 0
            if field.indexed:
                fieldboost = self._field_boost(fields, fieldname, docboost)
                scorable = field.scorable
                if isinstance(value, str) and _fast_text_field(field):
                    format_boost = field.format.field_boost
                    encode = field.format.encode
                    for term, positions in field.analyzer.term_positions(value).items():
                        freq = len(positions)
                        if scorable:
                            length += freq
                        add_post((fieldname, term.encode("utf-8"), docnum,
                                  float(freq) * format_boost * fieldboost, encode(positions)))
                else:
                    for tbytes, freq, weight, vbytes in field.index(value):
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        add_post((fieldname, tbytes, docnum, weight, vbytes))

            if field.separate_spelling():
                spellfield = field.spelling_fieldname(fieldname)
                for word in field.spellable_words(value):
                    add_post((spellfield, word.encode("utf-8"), 0, 1, None))

            vformat = field.vector
            if vformat:
                vitems = vformat.word_values(value, field.analyzer, mode="index")
                vitems = sorted((text, weight, vbytes) for text, _, weight, vbytes in vitems)
                perdocwriter.add_vector_items(fieldname, field, vitems)

            customval = fields.get("_stored_%s" % fieldname, value)
            perdocwriter.add_field(fieldname, field, customval if field.stored else None, length)

            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))

        perdocwriter.finish_doc()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _PreloadedLengths(reader) if isinstance(reader, W3PerDocReader) else reader
        self.fieldwriter.add_postings(self.schema, lengths, self.pool.iter_postings())
        self.fieldwriter.close()
        if reader:
            reader.close()


def _use_fast_paths() -> None:
    import whoosh.multiproc

    Positions.word_values = _positions_word_values
    whoosh.multiproc.SegmentWriter = _FastSegmentWriter


class _ParallelWriter(MpWriter):
    def _new_task(self) -> _SubWriter:
        task = _SubWriter(self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs,
                          self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.kill()
            task.join()
        SegmentWriter.cancel(self)
