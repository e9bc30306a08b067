"""Which documents of a segment hold a phrase, with numpy over the words' positions.

Whoosh's phrase matcher walks the intersection of the words' postings one document at a time
(skip_to, span objects, sets): at 200,000 articles a quoted pair of common words costs a second.
Here the candidates are known already (the intersection of the words' document arrays); each
word's postings are read only in the blocks that hold a candidate, the positions of all of them
decoded by one pickle call, and a phrase is a position p of its first word with the next word
at p + 1, and so on (Whoosh's Phrase with slop 1: SpanNear2, ordered, each word 1 after the last).
"""

from __future__ import annotations

import pickle
from bisect import bisect_left
from itertools import chain

import numpy as np
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE

from search.index.whoosh_internals import check_whoosh_version

check_whoosh_version()

_PROTOCOL = b"\x80\x02"
_BODY = _INT_SIZE + len(_PROTOCOL)  # where a value's pickled list starts, after its count and protocol
_LIST_START = _PROTOCOL + b"("  # the lists' opcodes follow, then LIST ("l") makes one list of them
_STRIDE = np.int64(1) << 32  # a document's key range: positions (offset by the phrase length) stay below


def reads_phrases(field) -> bool:
    """Whether this module reads the field's postings: positions as Whoosh's Positions format writes them."""
    return type(field.format) is Positions


def _values(reader, fieldname: str, text: str, docnums: np.ndarray, postings: np.ndarray) -> list[bytes]:
    """The posting values of the term in `docnums` (sorted, in the segment, each having the term),
    given `postings`, every docnum of the term's postings in the segment in order (deleted ones
    too): a block's ids are the next `block length` of them, so ids are never decoded again."""
    matcher = reader.postings(fieldname, text)
    while hasattr(matcher, "child"):  # deletions wrap the postings; the documents asked for are live
        matcher = matcher.child
    if not (hasattr(matcher, "_read_values") and hasattr(matcher, "_blocklength")):  # not a block matcher
        found = []
        for docnum in docnums.tolist():
            matcher.skip_to(docnum)
            found.append(matcher.value())
        return found
    wanted = np.searchsorted(postings, docnums).tolist()  # each one's place among the postings
    values: list[bytes] = []
    start, first = 0, 0
    while start < len(wanted):
        end = bisect_left(wanted, first + matcher._blocklength, start)
        if end > start:  # a wanted document is in this block: read its values only
            matcher._read_values()
            block = matcher._values
            values.extend(block[i - first] for i in wanted[start:end])
            start = end
        first += matcher._blocklength
        if start < len(wanted):
            matcher._next_block()
    return values


def _positions(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(index of the value, position) of every position in Positions-format values, in order.

    Each value is a count and a list of position deltas pickled with protocol 2; the lists are
    unpickled together as one list of lists (one call instead of one per document)."""
    if not values:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    counts = np.frombuffer(b"".join([value[:_INT_SIZE] for value in values]), dtype=">u4").astype(np.int64)
    lists = _unpickled_together(values, counts)
    if lists is None:  # not as Whoosh writes them today: Whoosh's own reading, one value at a time
        decode = Positions().decode_positions
        lists = [[p - q for p, q in zip(found, [0, *found[:-1]])] for found in map(decode, values)]
    deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    total = np.cumsum(deltas)
    starts = np.cumsum(counts) - counts
    before = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0)
    return np.repeat(np.arange(len(values)), counts), total - np.repeat(before, counts)


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


def phrase_docnums(
    reader, fieldname: str, words: list[str], candidates: np.ndarray, postings: dict[str, np.ndarray]
) -> np.ndarray:
    """The docnums among `candidates` (sorted, in the segment, each having every word) where the words
    stand one after another in the field; `postings`: each word's docnums in the segment (`_values`)."""
    common = np.zeros(0, dtype=np.int64)
    docnums = candidates
    offset = len(words)
    for i, word in enumerate(words):
        value_index, positions = _positions(_values(reader, fieldname, word, docnums, postings[word]))
        # Sorted and distinct: documents in order, positions rising within each.
        keys = docnums[value_index] * _STRIDE + (positions - i + offset)
        if i:
            at = np.minimum(np.searchsorted(common, keys), max(len(common) - 1, 0))
            keys = keys[common[at] == keys] if len(common) else keys[:0]
        common = keys
        found = common // _STRIDE
        docnums = found[np.r_[True, found[1:] != found[:-1]]] if len(found) else found
        if not len(docnums):
            break
    return docnums
