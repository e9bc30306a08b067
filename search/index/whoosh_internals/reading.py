"""Reading Whoosh's posting blocks and field-length columns directly: postings, weights and
positions as numpy arrays, a block or a term's whole extent at a time.
"""

from __future__ import annotations

import gc
import pickle
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterator
from functools import wraps
from io import BytesIO
from itertools import accumulate, chain
from struct import Struct
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3PerDocReader,
    _lenfield,
)
from whoosh.columns import NumericColumn
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE
from whoosh.util.numeric import byte_to_length

from search.index.ranges import ranges


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


def length_table(perdoc: W3PerDocReader, fieldname: str) -> list[int | None] | None:
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
        table = length_table(perdoc, fieldname)
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


def _block_count(data, at: int, end: int) -> int:
    """The number of postings of the block whose header starts at `at` (and whose data ends at
    `end`): the header's first item, read in place (see _last_id); another layout is unpickled."""
    if data[at : at + 4] == _HEADER_START:
        return data[at + 4]
    return pickle.loads(data[at:end])[0]


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
        count = _block_count(data, position + 4, position + 4 + abs(size))
        end = bisect_left(wanted, first + count, start)
        if end > start:  # a wanted document is in this block: decode it
            block = _block_at(data, position, values=True)[4]
            if end - start == count:  # every posting of the block (a common word's phrase)
                values.extend(block)
            else:
                values.extend([block[i - first] for i in wanted[start:end]])
            start = end
        first += count
        position += 4 + abs(size)
        if size < 0:
            break
    return values
