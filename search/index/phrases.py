"""Which documents of a segment hold a phrase, with numpy over the words' positions.

Whoosh's phrase matcher walks the intersection of the words' postings one document at a time
(skip_to, span objects, sets): at 200,000 articles a quoted pair of common words costs a second.
Here the candidates are known already (the intersection of the words' document arrays); each
word's postings are read only in the blocks that hold a candidate, the positions of all of them
decoded by one pickle call, and a phrase is a position p of its first word with the next word
at p + 1, and so on (Whoosh's Phrase with slop 1: SpanNear2, ordered, each word 1 after the last).
"""

from __future__ import annotations

import numpy as np

from search.index.whoosh_internals.reading import positions_of_values, posting_values

_STRIDE = np.int64(1) << 32  # a document's key range: positions (offset by the phrase length) stay below


def phrase_docnums(
    reader, fieldname: str, words: list[str], candidates: np.ndarray, postings: dict[str, np.ndarray]
) -> np.ndarray:
    """The docnums among `candidates` (sorted, in the segment, each having every word) where the words
    stand one after another in the field; `postings`: each word's docnums in the segment (search.index.whoosh_internals.reading.posting_values)."""
    common = np.zeros(0, dtype=np.int64)
    docnums = candidates
    offset = len(words)
    for i, word in enumerate(words):
        value_index, positions = positions_of_values(posting_values(reader, fieldname, word, docnums, postings[word]))
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
