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
from itertools import chain

import numpy as np
from whoosh.formats import Positions
from whoosh.system import _INT_SIZE

from search.index.whoosh_internals import posting_values

_PROTOCOL = b"\x80\x02"
_BODY = _INT_SIZE + len(_PROTOCOL)  # where a value's pickled list starts, after its count and protocol
_LIST_START = _PROTOCOL + b"("  # the lists' opcodes follow, then LIST ("l") makes one list of them
_STRIDE = np.int64(1) << 32  # a document's key range: positions (offset by the phrase length) stay below


def reads_phrases(field) -> bool:
    """Whether this module reads the field's postings: positions as Whoosh's Positions format writes them."""
    return type(field.format) is Positions


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
    stand one after another in the field; `postings`: each word's docnums in the segment (search.index.whoosh_internals.posting_values)."""
    common = np.zeros(0, dtype=np.int64)
    docnums = candidates
    offset = len(words)
    for i, word in enumerate(words):
        value_index, positions = _positions(posting_values(reader, fieldname, word, docnums, postings[word]))
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
