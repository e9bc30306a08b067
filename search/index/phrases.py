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

from search.index.whoosh_internals import check_whoosh_version

check_whoosh_version()

_PROTOCOL = b"\x80\x02"
_STRIDE = np.int64(1) << 32  # a document's key range: positions (offset by the phrase length) stay below


def reads_phrases(field) -> bool:
    """Whether this module reads the field's postings: positions as Whoosh's Positions format writes them."""
    return type(field.format) is Positions


def _values(reader, fieldname: str, text: str, docnums: np.ndarray) -> tuple[np.ndarray, list[bytes]]:
    """The docnums among `docnums` (sorted, in the segment) that have the term, and their posting values."""
    matcher = reader.postings(fieldname, text)
    while hasattr(matcher, "child"):  # deletions wrap the postings; the documents asked for are live
        matcher = matcher.child
    found_docs: list[np.ndarray] = []
    found_values: list[bytes] = []
    if not (hasattr(matcher, "_read_ids") and hasattr(matcher, "_read_values")):  # not a block matcher
        for docnum in docnums.tolist():
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                found_docs.append(np.asarray([docnum], dtype=np.int64))
                found_values.append(matcher.value())
        return (np.concatenate(found_docs) if found_docs else np.zeros(0, dtype=np.int64)), found_values
    start = 0
    while matcher.is_active() and start < len(docnums):
        last = matcher.block_max_id()
        end = int(np.searchsorted(docnums, last, side="right"))
        if end > start:  # a candidate may be in this block: read it
            matcher._read_ids()
            ids = np.asarray(matcher._ids, dtype=np.int64)
            at = np.flatnonzero(np.isin(ids, docnums[start:end], assume_unique=True))
            if len(at):
                matcher._read_values()
                values = matcher._values
                found_docs.append(ids[at])
                found_values.extend(values[i] for i in at.tolist())
            start = end
        matcher._next_block()
    return (np.concatenate(found_docs) if found_docs else np.zeros(0, dtype=np.int64)), found_values


def _positions(values: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(index of the value, position) of every position in Positions-format values, in order.

    Each value is a count and a pickled list of position deltas; the lists are unpickled together
    as one list of lists (one call instead of one per document)."""
    if not values:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bodies = []
    for value in values:
        body = value[_INT_SIZE:]
        if body.startswith(_PROTOCOL):
            body = body[len(_PROTOCOL) :]
        bodies.append(body[:-1] if body.endswith(b".") else body)
    lists = pickle.loads(_PROTOCOL + b"(" + b"".join(bodies) + b"l.")
    counts = np.fromiter((len(found) for found in lists), dtype=np.int64, count=len(lists))
    deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    total = np.cumsum(deltas)
    starts = np.cumsum(counts) - counts
    before = np.where(starts > 0, total[np.maximum(starts - 1, 0)], 0)
    return np.repeat(np.arange(len(values)), counts), total - np.repeat(before, counts)


def phrase_docnums(reader, fieldname: str, words: list[str], candidates: np.ndarray) -> np.ndarray:
    """The docnums among `candidates` (sorted, in the segment, each having every word) where the words
    stand one after another in the field."""
    common: np.ndarray | None = None
    docnums = candidates
    offset = len(words)
    for i, word in enumerate(words):
        found, values = _values(reader, fieldname, word, docnums)
        value_index, positions = _positions(values)
        keys = found[value_index] * _STRIDE + (positions - i + offset)
        common = np.unique(keys) if common is None else np.intersect1d(common, keys)
        docnums = np.unique(common // _STRIDE)
        if not len(docnums):
            break
    return docnums
