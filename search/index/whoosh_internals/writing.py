"""Writing: Whoosh's writer processes with faster code paths (a posting pool grouped by term,
field lengths preloaded, the tokenizer's positions taken as they come).
"""

from __future__ import annotations

import ctypes
import gc
import heapq
import pickle
import signal
from array import array
from collections.abc import Iterable, Iterator
from operator import itemgetter

from whoosh.codec.whoosh3 import (
    W3PerDocReader,
)
from whoosh.formats import Positions
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.util import random_name
from whoosh.writing import SegmentWriter

from search.analysis import NewsTokenizer
from search.index.whoosh_internals.reading import length_table

_PR_SET_PDEATHSIG = 1


class _SubWriter(SubWriterTask):
    """A Whoosh writer process that dies with its parent and leaves Ctrl-C to it."""

    def run(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:  # Linux: without this a SIGKILLed reindex leaves writers blocked on the job queue forever
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):
            pass
        use_fast_paths()
        # Indexing allocates millions of small, long-lived tuples and lists: the cyclic
        # collector would walk them again and again for no garbage (there are no cycles).
        gc.freeze()
        gc.set_threshold(200_000, 50, 100)
        super().run()


# --- fast paths for the writer processes ----------------------------------------------------
# Whoosh spends most of its indexing time in per-token and per-posting Python calls. These
# replacements write the same postings, values, block statistics and lengths (a posting block may
# be a few bytes smaller: one position's value is one object, which pickle writes once a block;
# tests/test_whoosh_internals.py and tests/test_reindex_cli.py compare them with Whoosh's own
# writer); they are installed only inside the writer processes this module starts, so nothing
# else in a program ever runs them.

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
        self._tables: dict[str, list[int | None] | None] = {}

    def table(self, fieldname: str) -> list[int | None] | None:
        if fieldname not in self._tables:
            self._tables[fieldname] = length_table(self._reader, fieldname)
        return self._tables[fieldname]

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0):
        table = self.table(fieldname)
        return default if table is None else table[docnum]

    def __getattr__(self, name: str):
        return getattr(self._reader, name)


_MISSING = object()


def _fast_text_field(field) -> bool:
    """A phrase TEXT field analysed by NewsTokenizer: its postings can be made in one step."""
    return (
        type(field.analyzer) is NewsTokenizer
        and type(field.format) is Positions
        and not field.vector
        and not field.separate_spelling()
    )


# A posting in the pool: its document, weight and encoded value, three slots of a term's flat list.
_POSTING_BYTES = 88  # a posting's memory besides its value's bytes (list slots, float, bytes header)
_TERM_BYTES = 200  # a term's memory besides its text (key tuple, bytes, list, dict slot)
_RUN_TERMS = 4096  # at most this many terms per pickled chunk of a spilled run,
_RUN_POSTINGS = 16_384  # and (past its first term) at most about this many postings: the merge holds one
# chunk of every run at once, so a chunk's size, not the number of runs, must bound its memory. A
# writer of 500,000 articles spills about 60 runs: chunks of 65,536 postings (~8 MB each) grew it
# from 0.4 GB to 0.9 GB while merging, and two of them were most of a rebuild's peak.


def _chunks(items: list[tuple[tuple[str, bytes], list]]) -> Iterator[list[tuple[tuple[str, bytes], list]]]:
    """A spilled run's sorted terms in chunks of at most _RUN_TERMS terms and, past a chunk's first
    term, about _RUN_POSTINGS postings (a flat list holds three items a posting)."""
    chunk: list[tuple[tuple[str, bytes], list]] = []
    postings = 0
    for item in items:
        if chunk and (len(chunk) >= _RUN_TERMS or postings + len(item[1]) // 3 > _RUN_POSTINGS):
            yield chunk
            chunk, postings = [], 0
        chunk.append(item)
        postings += len(item[1]) // 3
    if chunk:
        yield chunk


class _TermPool:
    """Whoosh's PostingPool for a writer process, grouped by term: each (field, term) keeps its
    postings as one flat list [docnum, weight, value, docnum, ...] in the order they were added.
    Whoosh's pool keeps a tuple per posting and sorts, pickles and merges them one by one (half a
    writer's time); here only the terms are sorted and a spilled run is pickled a chunk of terms at
    a time. The postings come out in the same order: by field, term, then document (a writer adds
    documents in order, each term once per field and document; anything else is sorted)."""

    def __init__(self, tempstore, limitmb: int) -> None:
        self.tempstore = tempstore
        self.limit = limitmb * 1024 * 1024
        self.size = 0
        self.terms: dict[tuple[str, bytes], list] = {}
        # The text fields' terms as the analyzer gives them (no bytes made, no key tuple, a hash the
        # string already holds), by field: encoded once a term when they are sorted.
        self.text_terms: dict[str, dict[str, list]] = {}
        self.fieldnames: set[str] = set()
        self.runs: list[str] = []
        self.unordered = False

    def add(self, item: tuple) -> None:
        """Whoosh's interface: (fieldname, tbytes, docnum, weight, vbytes)."""
        fieldname, tbytes, docnum, weight, vbytes = item
        key = (fieldname, tbytes)
        flat = self.terms.get(key)
        if flat is None:
            self.terms[key] = [docnum, weight, vbytes]
            self.fieldnames.add(fieldname)
            self.size += _TERM_BYTES + len(tbytes)
        else:
            if flat[-3] >= docnum:
                self.unordered = True
            flat += (docnum, weight, vbytes)
        self.size += _POSTING_BYTES + len(vbytes or b"")
        self.check()

    def check(self) -> None:
        if self.size > self.limit:
            self.save()

    def _sorted(self) -> list[tuple[tuple[str, bytes], list]]:
        terms = self.terms
        for fieldname, field_terms in self.text_terms.items():
            for term, flat in field_terms.items():
                key = (fieldname, term.encode("utf-8"))
                if key in terms:  # the same term from both paths (a field given a str and tokens)
                    terms[key] = terms[key] + flat
                    self.unordered = True
                else:
                    terms[key] = flat
        items = sorted(terms.items(), key=itemgetter(0))
        if self.unordered:
            items = [(key, _sorted_postings(flat)) for key, flat in items]
        return items

    def save(self) -> None:
        if not self.terms and not self.text_terms:
            return
        items = self._sorted()
        path = f"{random_name()}.run"
        with self.tempstore.create_file(path).raw_file() as stream:
            for chunk in _chunks(items):
                pickle.dump(chunk, stream, pickle.HIGHEST_PROTOCOL)
        self.runs.append(path)
        self.terms.clear()  # in place: a writer adding a document holds these dicts
        self.text_terms.clear()
        self.size = 0
        self.unordered = False

    def _read_run(self, path: str) -> Iterator[tuple[tuple[str, bytes], list]]:
        try:
            with self.tempstore.open_file(path).raw_file() as stream:
                while True:
                    try:
                        chunk = pickle.load(stream)
                    except EOFError:
                        return
                    yield from chunk
        finally:
            self.tempstore.delete_file(path)

    def terms_in_order(self) -> Iterator[tuple[tuple[str, bytes], list]]:
        """(fieldname, tbytes), flat postings — each term once, sorted, its postings in document order."""
        if not self.runs:
            current = self._sorted()
            self.terms.clear()
            self.text_terms.clear()
            yield from current
            return
        # What is still in memory becomes the last run: while merging, every run holds only a chunk
        # in memory (a whole pool beside the chunks of 45 runs made a writer of 500,000 articles 2 GB).
        self.save()
        # Earlier runs hold earlier documents; merge() keeps equal keys in the order of its inputs.
        sources = [self._read_run(path) for path in self.runs]
        self.runs = []
        merged = heapq.merge(*sources, key=itemgetter(0))
        key, flat = next(merged)
        for next_key, next_flat in merged:
            if next_key == key:
                flat.extend(next_flat)  # every list here is this pool's own
                continue
            yield key, flat
            key, flat = next_key, next_flat
        yield key, flat

    def iter_postings(self) -> Iterator[tuple]:
        """Whoosh's interface: the postings as sorted (fieldname, tbytes, docnum, weight, vbytes)."""
        for (fieldname, tbytes), flat in self.terms_in_order():
            for docnum, weight, vbytes in zip(flat[0::3], flat[1::3], flat[2::3]):
                yield fieldname, tbytes, docnum, weight, vbytes

    def cleanup(self) -> None:
        for path in self.runs:
            try:
                self.tempstore.delete_file(path)
            except OSError:
                pass
        self.runs = []


def _sorted_postings(flat: list) -> list:
    out: list = []
    for posting in sorted(zip(flat[0::3], flat[1::3], flat[2::3])):
        out += posting
    return out


def _write_postings(fieldwriter, schema, lengths, terms: Iterable[tuple[tuple[str, bytes], list]]) -> None:
    """Whoosh's FieldWriter.add_postings and W3PostingsWriter.add_posting for whole terms: each block
    of postings filled at once, then written by Whoosh's own block writer (the same bytes)."""
    fieldname = None
    tables: dict[str, list | None] = {}
    for (name, tbytes), flat in terms:
        if name != fieldname:
            if fieldname is not None:
                fieldwriter.finish_field()
            fieldname = name
            fieldwriter.start_field(name, schema[name])
            blocklimit = fieldwriter._codec._blocklimit
            if lengths is None:
                table = None
            elif isinstance(lengths, _PreloadedLengths):
                table = lengths.table(name)
            else:
                table = [lengths.doc_field_length(n, name) for n in range(lengths.doc_count_all())]
            tables[name] = table
        fieldwriter.start_term(tbytes)
        postings = fieldwriter._postwriter
        docnums, weights, values = flat[0::3], flat[1::3], flat[2::3]
        count = len(docnums)
        for start in range(0, count, blocklimit):
            end = start + blocklimit
            block_docnums = docnums[start:end]
            block_weights = weights[start:end]
            postings._ids = array("I", block_docnums)
            postings._weights = array("f", block_weights)
            postings._values = [v for v in values[start:end] if v]
            heaviest = max(block_weights)
            postings._maxweight = heaviest if heaviest > 0 else 0
            if table is None:
                postings._minlength, postings._maxlength = None, 0
            else:
                found = [length for length in map(table.__getitem__, block_docnums) if length]
                postings._minlength = min(found) if found else None
                postings._maxlength = max(found) if found else 0
            if end < count:
                postings._write_block()
        fieldwriter.finish_term()
    if fieldname is not None:
        fieldwriter.finish_field()


class _FastSegmentWriter(SegmentWriter):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pool = _TermPool(self._tempstorage, kwargs.get("limitmb", 128))
        self._single_positions: dict[int, bytes] = {}

    def add_document(self, **fields) -> None:
        # SegmentWriter.add_document with one difference: text fields analysed by NewsTokenizer
        # go straight from term_positions() to the posting pool, without the three generators
        # (analyzer tokens, Format.word_values, FieldType.index) per term. Same postings.
        self._check_state()
        perdocwriter = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        pool = self.pool
        add_post = pool.add
        text_terms = pool.text_terms
        single = self._single_positions

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
                    boost = field.format.field_boost * fieldboost
                    encode = field.format.encode
                    size = 0
                    field_terms = text_terms.get(fieldname)
                    if field_terms is None:
                        field_terms = text_terms[fieldname] = {}
                    for term, positions in field.analyzer.term_positions(value).items():
                        freq = len(positions)
                        if scorable:
                            length += freq
                        if freq == 1:  # most terms: their encoding depends on the position alone
                            vbytes = single.get(positions[0])
                            if vbytes is None:
                                vbytes = single[positions[0]] = encode(positions)
                        else:
                            vbytes = encode(positions)
                        flat = field_terms.get(term)
                        if flat is None:
                            field_terms[term] = [docnum, float(freq) * boost, vbytes]
                            size += _TERM_BYTES + len(term)
                        else:
                            flat += (docnum, float(freq) * boost, vbytes)
                        size += _POSTING_BYTES + len(vbytes)
                    pool.fieldnames.add(fieldname)
                    pool.size += size
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
        pool.check()
        self._added = True
        self.docnum += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        reader = self.per_document_reader() if self.codec.length_stats else None
        lengths = _PreloadedLengths(reader) if isinstance(reader, W3PerDocReader) else reader
        _write_postings(self.fieldwriter, self.schema, lengths, self.pool.terms_in_order())
        self.fieldwriter.close()
        if reader:
            reader.close()


def use_fast_paths() -> None:
    """Installs the fast paths in this process: called by each writer process this module starts
    (explicitly, never at import), so nothing else in a program ever runs them."""
    import whoosh.multiproc

    Positions.word_values = _positions_word_values
    whoosh.multiproc.SegmentWriter = _FastSegmentWriter


class ParallelWriter(MpWriter):
    """Whoosh's multi-process writer whose processes die with their parent and run the fast paths."""

    def _new_task(self) -> _SubWriter:
        task = _SubWriter(
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        self.tasks.append(task)
        task.start()
        return task

    def cancel(self) -> None:
        for task in self.tasks:
            if task.is_alive():
                task.kill()
            task.join()
        SegmentWriter.cancel(self)
