"""Every use of Whoosh's private API, in one place, checked against the one Whoosh version it was
written for (2.7.4, pinned in requirements.in).

Dateline reads Whoosh's posting blocks and field-length columns directly (numpy match sets and
scores: search.engine.evaluate) and writes with faster code paths in its writer processes
(search.index.writer). A different Whoosh may lay these out differently, so importing this module
with one fails at once with a clear message instead of giving wrong results.
"""

from __future__ import annotations

import ctypes
import gc
import heapq
import pickle
import signal
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from io import BytesIO
from itertools import accumulate, chain
from operator import itemgetter, sub
from struct import Struct
from typing import Any

import numpy as np
import whoosh
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    WHOOSH3_HEADER_MAGIC,
    W3Codec,
    W3PerDocReader,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.columns import NumericColumn
from whoosh.formats import Positions
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.system import _INT_SIZE
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from search.analysis import NewsTokenizer
from search.index.ranges import ranges

WHOOSH_VERSION = (2, 7, 4)


def check_whoosh_version(found: tuple = tuple(whoosh.__version__)) -> None:
    if tuple(found[:3]) != WHOOSH_VERSION:
        raise ImportError(
            f"Dateline needs Whoosh {'.'.join(map(str, WHOOSH_VERSION))} (it reads Whoosh's posting blocks and "
            f"length columns directly), but Whoosh {'.'.join(map(str, found))} is installed; "
            "install the locked versions with scripts/install"
        )


check_whoosh_version()


def _without_collections(function: Callable) -> Callable:
    """Runs `function` with the cyclic garbage collector paused. Unpickling posting blocks makes
    thousands of tuples, and every 700 allocations the collector walks the young objects, every few
    of those walks the older ones: in a searcher holding millions of objects that cost half as much
    again as the reading. The blocks hold no cycles, so nothing is left for it to find."""

    @wraps(function)
    def paused(*args, **kwargs):
        if not gc.isenabled():
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused


# --- reading: postings a block at a time, field lengths a column at a time --------------------


def posting_blocks(
    reader, fieldname: str, text: str, *, weights: bool = False
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """The postings of a term in one segment's reader: (docnums in the segment, weights or None), in
    one piece read from its blocks at once, or through the public API where they are not in blocks
    (a few postings kept with the term). The term must be in the reader. Deleted documents are
    included."""
    matcher = _leaf_postings(reader, fieldname, text)  # deletions wrap the postings; callers mask them out
    whole = _block_postings(matcher, weights)
    if whole is not None:
        yield whole
        return
    ids, found = [], []
    while matcher.is_active():
        ids.append(matcher.id())
        if weights:
            found.append(matcher.weight())
        matcher.next()
    yield np.asarray(ids, dtype=np.int64), np.asarray(found, dtype=np.float64) if weights else None


# A posting block's data is one pickle of (delta-coded ids, weights, values). A Positions value is
# bytes, which protocol 2 writes as a call of codecs.encode on its text: unpickling a block's
# positions costs several times its ids and weights, so these are unpickled alone, from the part
# of the pickle before the values (it ends where their first call names codecs.encode).
_VALUES_START = b"c_codecs\nencode\n"
_MARK = b"("[0]
_TWO_TUPLE_STOP = b"\x86."  # TUPLE2 and STOP: the ids and weights made one pickle


def _ids_and_weights(data: bytes, count: int) -> tuple[tuple, Any]:
    """A block's (delta-coded ids, minified weights) from its uncompressed data."""
    at = data.find(_VALUES_START)
    if at > 0 and count > 3 and data[at - 1] == _MARK:  # a tuple of more than three is MARK ... TUPLE
        at -= 1
    if at > 0:
        try:
            found = pickle.loads(data[:at] + _TWO_TUPLE_STOP)
        except (pickle.UnpicklingError, ValueError, EOFError, IndexError, TypeError):
            found = None
        if isinstance(found, tuple) and len(found) == 2 and len(found[0]) == count:
            return found
    ids, found_weights, _values = pickle.loads(data)
    return ids, found_weights


def _block_at(data: bytes, position: int, values: bool = False) -> tuple:
    """The posting block at `position` in `data`: (its signed byte length, its number of postings,
    its delta-coded ids, its weights as Whoosh minifies them), and with `values` its values."""
    (size,) = _BLOCK_LENGTH.unpack_from(data, position)
    stream = BytesIO(data)  # shares data's buffer
    stream.seek(position + 4)
    # The header: (postings, last id, most weight, compression, shortest, longest).
    count, _last, _most, compression = pickle.Unpickler(stream).load()[:4]
    block = data[stream.tell() : position + 4 + abs(size)]
    if compression:
        block = zlib.decompress(block)
    if values:
        ids, weights, found_values = pickle.loads(block)
        return size, count, ids, weights, found_values
    ids, weights = _ids_and_weights(block, count)
    return size, count, ids, weights


def _extent(matcher) -> tuple[bytes, int] | None:
    """The bytes of a term's postings in blocks, read at once, and where its first block starts in
    them; None for postings not in blocks (or not laid out as Whoosh 2.7.4 writes them)."""
    if not all(hasattr(matcher, name) for name in ("_startoffset", "_baseoffset", "_length", "_postfile")):
        return None
    if getattr(matcher, "_byteids", False):
        return None
    start, length = matcher._startoffset, matcher._length
    if isinstance(length, tuple):  # Whoosh 2.7.4 reads a term's extent length as a 1-tuple
        (length,) = length
    return matcher._postfile.get(start, length), matcher._baseoffset - start


@_without_collections
def _block_postings(matcher, weights: bool) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Every posting of a term stored in blocks: its extent read at once, each block's header and ids
    (and weights) unpickled, its values left alone, the ids undone from deltas by numpy. None for
    postings not in blocks, or not laid out as Whoosh 2.7.4 writes them."""
    extent = _extent(matcher)
    if extent is None:
        return None
    data, position = extent
    deltas: list[np.ndarray] = []
    counts: list[int] = []
    found_weights: list[np.ndarray] = []
    while position < len(data):
        size, count, ids, block_weights = _block_at(data, position)
        deltas.append(_as_array(ids, np.int64))
        counts.append(count)
        if weights:
            found_weights.append(_as_array(_block_weights(block_weights, count), np.float64))
        position += 4 + abs(size)
        if size < 0:
            break
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64) if weights else None
    lengths = np.asarray(counts, dtype=np.int64)
    # Each block's ids count from 0 again: a running sum, less the sum before the block's start.
    total = np.cumsum(np.concatenate(deltas), dtype=np.int64)
    ends = np.cumsum(lengths)
    before = np.concatenate(([0], total[ends[:-1] - 1]))
    ids_out = total - np.repeat(before, lengths)
    if not weights:
        return ids_out, None
    return ids_out, np.concatenate(found_weights).astype(np.float64)


def _as_array(found: Any, dtype: type) -> np.ndarray:
    """A block's ids (dtype int) or weights (float) as numpy: an array's machine bytes as they are, a
    tuple item by item."""
    if isinstance(found, array):
        return np.frombuffer(found, dtype=np.dtype(found.typecode))
    return np.asarray(found, dtype=dtype)


def _block_weights(found: Any, count: int) -> tuple | Any:
    """A block's weights as Whoosh minifies them: None when all are 1, one float when all are equal."""
    if found is None:
        return (1.0,) * count
    if isinstance(found, float):
        return (found,) * count
    return found


_BYTE_LENGTHS = np.asarray([byte_to_length(b) for b in range(256)], dtype=np.float64)


def _length_table(perdoc: W3PerDocReader, fieldname: str) -> list[int | None] | None:
    """Each document's length in a field (None where it has none), read from the segment's
    lengths column in one pass; None when the segment has no such column."""
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    return [byte_to_length(b) if b else None for b in (column[i] for i in range(perdoc.doc_count_all()))]


def field_lengths(reader, fieldname: str, default: float = 1.0) -> np.ndarray:
    """Each document's length in a field for one segment's reader, as Whoosh's scorer reads it
    (`default` where a document has none)."""
    count = reader.doc_count_all()
    perdoc = getattr(reader, "_perdoc", None)
    if isinstance(perdoc, W3PerDocReader):
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        if column is None:
            return np.full(count, default, dtype=np.float64)
        if isinstance(column, NumericColumn.Reader) and column._typecode == "B":
            # One byte a document, read at once (a Python call per document is a second a field at
            # a million articles); documents past the column's end have none, as in Whoosh.
            codes = np.zeros(count, dtype=np.uint8)
            stored = min(column._count, count)
            codes[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
            lengths = _BYTE_LENGTHS[codes]
            lengths[codes == 0] = default
            return lengths
        table = _length_table(perdoc, fieldname)
        return np.asarray([default if n is None else n for n in (table or [])], dtype=np.float64)
    return np.asarray([reader.doc_field_length(d, fieldname) or default for d in range(count)], dtype=np.float64)


def _postings_at(reader, fieldname: str, text: str, docnums: list[int]) -> Iterator[tuple[int, Any]]:
    """(docnum, the term's matcher on its posting) for each of the given documents of one segment
    that has the term (sorted docnums in the segment). Whoosh's skip_to steps through a block one
    posting at a time; this skips whole blocks by their last id (read from the block's header, its
    postings left undecoded) and bisects inside one."""
    matcher = _leaf_postings(reader, fieldname, text)  # the documents asked for are live
    block_matcher = hasattr(matcher, "_read_ids") and hasattr(matcher, "_skip_to_block")
    for docnum in docnums:
        if not matcher.is_active():
            break
        if not block_matcher:
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                yield docnum, matcher
            continue
        if docnum > matcher.block_max_id():
            matcher._skip_to_block(lambda: docnum > matcher.block_max_id())
            if not matcher.is_active():
                break
        if matcher._ids is None:
            matcher._read_ids()
        # docnum <= the block's last id, so the bisection lands inside the block.
        matcher._i = bisect_left(matcher._ids, docnum, matcher._i)
        if matcher._ids[matcher._i] == docnum:
            yield docnum, matcher


@_without_collections
def term_positions(
    reader, fieldname: str, text: str, docnums: list[int], blocks: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[int, list[int]]:
    """The positions of a term in the given documents of one segment (sorted docnums in the
    segment; those without the term left out), reading only the blocks that hold them: found by
    their headers, or at once in `blocks` (the term's block_index)."""
    if blocks is None:
        return {d: matcher.value_as("positions") for d, matcher in _postings_at(reader, fieldname, text, docnums)}
    decode = reader.schema[fieldname].format.decoder("positions")
    found = _indexed_postings_at(reader, fieldname, text, docnums, blocks, values=True)
    return {d: decode(value) for d, _weight, value in found}


# -- Positions-format values (how Whoosh pickles a posting's positions) ---------------------------

_PROTOCOL = b"\x80\x02"
_BODY = _INT_SIZE + len(_PROTOCOL)  # where a value's pickled list starts, after its count and protocol
_LIST_START = _PROTOCOL + b"("  # the lists' opcodes follow, then LIST ("l") makes one list of them


def reads_phrases(field) -> bool:
    """Whether this module reads the field's postings: positions as Whoosh's Positions format writes them."""
    return type(field.format) is Positions


@_without_collections
def positions_of_values(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(index of the value, position) of every position in Positions-format values, in order.

    Each value is a count and a list of position deltas pickled with protocol 2. Where every delta
    is below 256 (most values: a word's positions are near one another), each is one BININT1
    opcode and its byte, so the values' bytes are laid out by their counts alone and numpy reads
    the deltas from them. The others' opcodes (of one, two or four bytes) are walked by numpy too,
    the k-th of every value at once; values laid out otherwise are unpickled together as one list
    of lists (one call instead of one per document)."""
    if not values:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    raw = np.frombuffer(b"".join(values), dtype=np.uint8)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    begins = np.cumsum(lengths) - lengths
    counts = np.zeros(len(values), dtype=np.int64)
    for shift, at in ((24, 0), (16, 1), (8, 2), (0, 3)):  # the count: 4 bytes, big-endian
        counts |= raw[begins + at].astype(np.int64) << shift
    several = counts > 1  # a list of one is written without a MARK
    # The first BININT1's byte: after count (4), PROTO 2 (2), EMPTY_LIST and BINPUT 0 (3), MARK.
    first = begins + 10 + several
    plain = lengths == first - begins + 2 * counts + 1  # each delta two bytes, then APPEND(S) and STOP
    slots = np.cumsum(counts) - counts  # where each value's deltas go
    deltas = np.zeros(int(counts.sum()), dtype=np.int64)
    fast = ranges(slots[plain], slots[plain] + counts[plain])
    args = np.repeat(first[plain] - 2 * slots[plain], counts[plain]) + 2 * fast
    headers = (raw[begins[plain] + 4] == 0x80).all() and (raw[begins[plain] + 5] == 2).all()  # PROTO 2
    if not headers or not (raw[args - 1] == _BININT1).all():  # lengths that add up by chance: the slow way
        plain[:] = False
        fast = fast[:0]
    else:
        deltas[fast] = raw[args]
    slow = np.flatnonzero(~plain)
    if slow.size:  # the others' opcodes walked, the k-th of every value at once
        slow = slow[_walked(raw, begins[slow], counts[slow], slots[slow], deltas)]
    if slow.size:
        chosen = [values[i] for i in slow.tolist()]
        lists = _unpickled_together(chosen, counts[slow])
        if lists is None:  # not as Whoosh writes them today: Whoosh's own reading, one value at a time
            decode = Positions().decode_positions
            lists = [[p - q for p, q in zip(found, [0, *found[:-1]])] for found in map(decode, chosen)]
        where = ranges(slots[slow], slots[slow] + counts[slow])
        deltas[where] = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=where.size)
    total = np.cumsum(deltas)
    before = np.where(slots > 0, total[np.maximum(slots - 1, 0)], 0)
    return np.repeat(np.arange(len(values)), counts), total - np.repeat(before, counts)


_BININT1 = ord("K")
_ARGUMENT_BYTES = np.zeros(256, dtype=np.int64)  # the integer opcodes' argument sizes (0: another opcode)
_ARGUMENT_BYTES[[ord("K"), ord("M"), ord("J")]] = [1, 2, 4]


def _walked(
    raw: np.ndarray, begins: np.ndarray, counts: np.ndarray, slots: np.ndarray, deltas: np.ndarray
) -> np.ndarray:
    """Reads into `deltas` (at `slots`) the deltas of the values starting at `begins` in `raw`, each an
    integer opcode of one, two or four bytes (BININT1, BININT2, BININT: little-endian), walking the
    k-th opcode of every value at once. Returns which of them it could not read (another layout)."""
    ok = (raw[begins + 4] == 0x80) & (raw[begins + 5] == 2) & (raw[begins + 6] == ord("]"))
    several = counts > 1
    ok &= ~several | (raw[begins + 9] == ord("("))
    at = begins + 9 + several  # each value's next opcode
    last = raw.size - 1
    for k in range(int(counts.max())):
        live = np.flatnonzero(ok & (counts > k))
        if not live.size:
            break
        where = at[live]
        size = _ARGUMENT_BYTES[raw[where]]
        known = size > 0
        if not known.all():
            ok[live[~known]] = False
            live, where, size = live[known], where[known], size[known]
        value = np.zeros(live.size, dtype=np.int64)
        for byte in range(4):  # little-endian: the argument's bytes, as many as its opcode has
            has = size > byte
            value[has] |= raw[np.minimum(where[has] + 1 + byte, last)].astype(np.int64) << (8 * byte)
        deltas[slots[live] + k] = value
        at[live] = where + 1 + size
    # After the last: APPENDS ("e") for a list of several, APPEND ("a") for one, then STOP.
    ends = np.minimum(at, last)
    ok &= (
        (at < last) & (raw[ends] == np.where(several, ord("e"), ord("a"))) & (raw[np.minimum(at + 1, last)] == ord("."))
    )
    return ~ok


def _unpickled_together(values: list[bytes], counts: np.ndarray) -> list[list[int]] | None:
    """The values' delta lists by one pickle call, or None when a value is not a protocol 2 pickle
    ending in STOP, holding as many deltas as its count says."""
    if values[0][_INT_SIZE:_BODY] != _PROTOCOL:
        return None
    try:
        lists = pickle.loads(_LIST_START + b"".join([value[_BODY:-1] for value in values]) + b"l.")
    except (pickle.UnpicklingError, ValueError, EOFError, IndexError, TypeError):
        return None
    if not isinstance(lists, list) or len(lists) != len(values):
        return None
    lengths = np.fromiter((len(found) for found in lists), dtype=np.int64, count=len(lists))
    return lists if np.array_equal(lengths, counts) else None


_BLOCK_LENGTH = Struct("!i")  # a posting block's byte length, negative for the term's last block


def block_index(reader, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Each posting block of a term in one segment: its last docnum and its offset in the postings
    file, from one read of the term's postings and their block headers (no block decoded); None
    when the term's postings are not in blocks (a few postings kept with the term)."""
    matcher = _leaf_postings(reader, fieldname, text)
    extent = _extent(matcher)
    if extent is None:
        return None
    found, position = extent
    data = memoryview(found)
    start = matcher._startoffset
    last_ids, offsets = [], []
    while position < len(data):
        (size,) = _BLOCK_LENGTH.unpack_from(data, position)
        last_ids.append(_last_id(data, position + 4))
        offsets.append(start + position)
        position += 4 + abs(size)
        if size < 0:
            break
    return np.asarray(last_ids, dtype=np.int64), np.asarray(offsets, dtype=np.int64)


_HEADER_START = b"\x80\x02(K"  # PROTO 2, MARK, the number of postings as BININT1 (at most 255)
_ID_BYTES = {ord("K"): 1, ord("M"): 2, ord("J"): 4}  # the last id's opcode: its little-endian bytes


def _last_id(data, at: int) -> int:
    """The last id of the block whose header starts at `at`: the header is (postings, last id, most
    weight, compression, shortest, longest) pickled with protocol 2, so the id's opcode comes fifth
    and is read in place; another layout is unpickled (the rest of `data` ignored)."""
    size = _ID_BYTES.get(data[at + 5], 0) if data[at : at + 4] == _HEADER_START else 0
    if size:
        return int.from_bytes(data[at + 6 : at + 6 + size], "little", signed=size == 4)
    return pickle.loads(data[at:])[1]


@_without_collections
def term_weights(
    reader, fieldname: str, text: str, docnums: list[int], blocks: tuple[np.ndarray, np.ndarray] | None = None
) -> dict[int, float]:
    """The weights of a term's postings in the given documents of one segment (sorted docnums in
    the segment; those without the term left out), decoding only the blocks that hold them: found
    by their headers, or at once in `blocks` (the term's block_index)."""
    if blocks is None:
        return {docnum: matcher.weight() for docnum, matcher in _postings_at(reader, fieldname, text, docnums)}
    found = _indexed_postings_at(reader, fieldname, text, docnums, blocks, values=False)
    return {d: weight for d, weight, _value in found}


def _indexed_postings_at(
    reader, fieldname: str, text: str, docnums: list[int], blocks: tuple[np.ndarray, np.ndarray], values: bool
) -> Iterator[tuple[int, float, Any]]:
    """(docnum, weight, value or None) of the term's postings in the given documents of one segment
    (sorted docnums in the segment; those without the term left out), each block that holds one
    found in the term's block_index and decoded (its values only with `values`)."""
    last_ids, offsets = blocks
    # The segment's postings file, without making the term's matcher (a term lookup and a block read).
    postfile = getattr(getattr(reader, "_terms", None), "_postfile", None)
    if postfile is None:
        postfile = _leaf_postings(reader, fieldname, text)._postfile
    current = -1
    ids: list[int] = []
    weights: tuple | Any = ()
    found: Any = None
    for docnum, block in zip(docnums, np.searchsorted(last_ids, docnums).tolist()):
        if block >= len(offsets):
            break  # past the term's last posting
        if block != current:
            offset = int(offsets[block])
            (size,) = _BLOCK_LENGTH.unpack(postfile.get(offset, 4))
            decoded = _block_at(postfile.get(offset, 4 + abs(size)), 0, values=values)
            ids = list(accumulate(decoded[2]))
            weights = _block_weights(decoded[3], decoded[1])
            found = decoded[4] if values else None
            current = block
        i = bisect_left(ids, docnum)
        if i < len(ids) and ids[i] == docnum:
            yield docnum, weights[i], found[i] if found else None


def _leaf_postings(reader, fieldname: str, text: str):
    """The term's matcher over all its stored postings, from the first (deletions, which wrap it, left
    to the caller: the wrapper has already moved it past the deleted documents at the start)."""
    matcher = reader.postings(fieldname, text)
    wrapped = hasattr(matcher, "child")
    while hasattr(matcher, "child"):
        matcher = matcher.child
    if wrapped and hasattr(matcher, "reset"):
        matcher.reset()
    return matcher


@_without_collections
def posting_values(reader, fieldname: str, text: str, docnums: np.ndarray, postings: np.ndarray) -> list[bytes]:
    """The posting values of the term in `docnums` (sorted, in the segment, each having the term),
    given `postings`, every docnum of the term's postings in the segment in order (deleted ones
    too): a block's ids are the next `block length` of them, so only the values of the blocks
    holding a wanted document are decoded."""
    matcher = _leaf_postings(reader, fieldname, text)  # the documents asked for are live
    extent = _extent(matcher)
    if extent is None:  # not in blocks: the public API
        found = []
        for docnum in docnums.tolist():
            matcher.skip_to(docnum)
            found.append(matcher.value())
        return found
    data, position = extent
    wanted = np.searchsorted(postings, docnums).tolist()  # each one's place among the postings
    values: list[bytes] = []
    start, first = 0, 0
    while start < len(wanted) and position < len(data):
        (size,) = _BLOCK_LENGTH.unpack_from(data, position)
        count = pickle.loads(data[position + 4 : position + 4 + abs(size)])[0]  # the header's first
        end = bisect_left(wanted, first + count, start)
        if end > start:  # a wanted document is in this block: decode it
            block = _block_at(data, position, values=True)[4]
            values.extend(block[i - first] for i in wanted[start:end])
            start = end
        first += count
        position += 4 + abs(size)
        if size < 0:
            break
    return values


# --- the codec: Whoosh's, its posting blocks pickled with protocol 3 --------------------------
# Whoosh pickles a block's (ids, weights, values) with protocol 2, which writes each bytes value
# (a posting's positions) as a call of codecs.encode on its text: at a million articles, reading
# the blocks of a common word cost a quarter of a second. Protocol 3 writes bytes as they are:
# blocks a third smaller, six times faster to pickle and to unpickle. The ids (deltas) and the
# weights are written as arrays, not tuples: their machine bytes, which numpy takes as they are,
# not a Python int or float each. Whoosh's own reader reads such blocks too (pickle.loads reads any
# protocol; it iterates the ids and keeps the weights as the array it makes itself), so an index
# mixing both kinds of block is sound.

BLOCK_PROTOCOL = 3


class DatelineCodec(W3Codec):
    """Whoosh's W3 codec whose posting blocks are pickled with BLOCK_PROTOCOL."""

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )


class _PostingsWriter(W3PostingsWriter):
    def _mini_ids(self):
        if self._byteids:
            return super()._mini_ids()
        ids = self._ids
        return array("I", map(sub, ids, chain((0,), ids)))  # each id less the one before

    def _mini_weights(self):
        found = super()._mini_weights()  # None (every weight 1), one float (all equal) or a tuple
        return array("f", self._weights) if isinstance(found, tuple) else found

    def _write_block(self, last: bool = False) -> None:
        """The buffered block as Whoosh lays one out (its byte length, negative for the term's last
        block; its header; its data), the data pickled with BLOCK_PROTOCOL."""
        postfile = self._postfile
        if not self._blockcount:
            postfile.write(WHOOSH3_HEADER_MAGIC)  # a term's postings start with it
        self._terminfo.add_block(self)
        data = pickle.dumps((self._mini_ids(), self._mini_weights(), self._mini_values()), BLOCK_PROTOCOL)
        compression = self._compression
        if compression:
            data = zlib.compress(data, compression)
        ids = self._ids
        header = pickle.dumps(
            (
                len(ids),
                ids[-1],
                self._maxweight,
                compression,
                length_to_byte(self._minlength),
                length_to_byte(self._maxlength),
            ),
            2,
        )
        size = len(header) + len(data)
        postfile.write_int(-size if last else size)
        postfile.write(header)
        postfile.write(data)
        self._blockcount += 1
        self._new_block()


# --- writing: writer processes with faster code paths -----------------------------------------

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
            self._tables[fieldname] = _length_table(self._reader, fieldname)
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
