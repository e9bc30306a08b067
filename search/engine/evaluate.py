"""Which documents a query matches and how each scores, for every document at once, with numpy.

Whoosh's matchers visit every posting in Python, and an AND of several words over three fields
spends most of a search there. Here each term's postings are read block by block into arrays
(cached per index generation) and:

- a match set is a boolean mask: And/Or/Not become &, |, ~; a phrase is read from its words'
  positions in the documents having every word (search.index.phrases); other positional
  queries (a phrase with slop, spans) still go through Whoosh;
- scores are BM25F, figure for figure what Whoosh's matchers give: each (field, term) is scored
  once per generation for every document that has it (field lengths from one array per field),
  and a query's scores are sums of those arrays, each part counted where it matches: Or, And and
  AndMaybe add their parts, AndNot adds nothing for its exclusion, a bare Not scores 1, a phrase
  is its words' scores where it matches, boosts multiply, as in Whoosh. Queries with other parts
  (Every, spans) give None and the caller asks Whoosh;
- `scores_at` gives the same scores of an OR of words for a few documents only (feedback's best
  matches), decoding just the posting blocks that hold them: a common word's hundreds of
  thousands of postings are never all read.

One Evaluator serves a generation; `Evaluator.request()` gives one request's view, which
remembers the positional matches (phrases) it found so that scoring does not find them again.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25FScorer, WeightScorer

from search.index.phrases import phrase_docnums
from search.index.whoosh_internals.reading import (
    block_index,
    field_lengths,
    posting_blocks,
    reads_phrases,
    term_positions,
    term_weights,
)
from search.query.compile import DocnumsQuery

Memo = dict  # query -> its match mask, for one request


def segments_holding(
    leaves: list[tuple[Any, int]], size: int, fieldname: str, text: str, docnums: list[int]
) -> Iterator[tuple[int, Any, int, list[int]]]:
    """(segment index, its reader, its first docnum, the docnums in it counted from there) for each
    segment of `leaves` (a searcher's leaf searchers and their offsets; `size` documents in all)
    holding some of `docnums` (sorted) and the term."""
    for index, (leaf, offset) in enumerate(leaves):
        end = leaves[index + 1][1] if index + 1 < len(leaves) else size
        lo, hi = bisect_left(docnums, offset), bisect_left(docnums, end)
        reader = leaf.reader()
        if lo < hi and (fieldname, text) in reader:
            yield index, reader, offset, [d - offset for d in docnums[lo:hi]]


class Evaluator:
    CACHE_TERMS = 4096  # match arrays of terms kept per generation
    # Postings whose docnums (8 bytes) and weights (4) are kept: ~250 MB; a common word at a million
    # articles has 500,000.
    CACHE_DOCNUMS = 21_000_000
    CACHE_POSTINGS = 4_000_000  # scored postings kept per generation (12 bytes each)
    # Posting blocks whose last id and offset (16 bytes) are kept: ~30 MB; a common word at a million
    # articles has 4,000 blocks a field.
    CACHE_BLOCKS = 2_000_000
    CACHE_SCORERS = 100_000  # terms' scorers kept per generation (a few hundred bytes each)

    def __init__(self, searcher, live: np.ndarray) -> None:
        self.searcher = searcher  # the top-level Whoosh searcher, with the product's weighting
        self.live = live
        self.size = live.size
        self.leaves = [(leaf, offset) for leaf, offset in searcher.leaf_searchers()]
        self._docnums: dict[tuple[str, str], np.ndarray] = {}
        self._weights: dict[tuple[str, str], np.ndarray] = {}  # beside _docnums: each posting's weight
        self._docnums_held = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._terms = _Kept(self.CACHE_POSTINGS)  # (field, term) -> (docnums, scores)
        self._blocks = _Kept(self.CACHE_BLOCKS)  # (field, term, segment) -> (last ids, offsets)
        self._scorers: dict[tuple[str, str], BM25FScorer | WeightScorer | None] = {}

    def request(self) -> RequestEvaluator:
        return RequestEvaluator(self)

    # -- match sets ---------------------------------------------------------------------------

    def mask(self, q: wq.Query, memo: Memo | None = None) -> np.ndarray:
        """Which live documents match `q`."""
        return self._mask(q, memo) & self.live

    def term_docnums(self, fieldname: str, text: str) -> np.ndarray:
        key = (fieldname, text)
        found = self._docnums.get(key)
        if found is not None:
            return found
        # The weights come with the ids (each block is unpickled whole): kept for scoring the term,
        # which would otherwise read every block again.
        ids, weights = [], []
        for found_ids, found_weights in self._postings(fieldname, text, weights=True):
            ids.append(found_ids)
            weights.append(found_weights)
        found = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int64)
        if len(self._docnums) >= self.CACHE_TERMS or self._docnums_held + found.size > self.CACHE_DOCNUMS:
            self._docnums.clear()
            self._weights.clear()
            self._docnums_held = 0
        self._docnums[key] = found
        # Whoosh keeps weights as 32-bit floats: exact in float32.
        self._weights[key] = np.concatenate(weights).astype(np.float32) if weights else np.zeros(0, dtype=np.float32)
        self._docnums_held += found.size
        return found

    def _postings(self, fieldname: str, text: str, weights: bool):
        """(top-level docnums, weights or None) blocks of a term, segment after segment."""
        for leaf, offset in self.leaves:
            reader = leaf.reader()
            if (fieldname, text) in reader:
                for ids, found in posting_blocks(reader, fieldname, text, weights=weights):
                    yield ids + offset, found

    def _mask(self, q: wq.Query, memo: Memo | None) -> np.ndarray:
        if isinstance(q, wq.Term):
            mask = np.zeros(self.size, dtype=bool)
            mask[self.term_docnums(q.fieldname, q.text)] = True
            return mask
        if isinstance(q, DocnumsQuery):
            return q.mask.copy()
        if isinstance(q, wq.Not):
            return ~self._mask(q.query, memo)
        if isinstance(q, wq.Every):
            return self.live.copy()
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return np.zeros(self.size, dtype=bool)
        if isinstance(q, wq.AndMaybe):
            return self._mask(q.a, memo)
        if isinstance(q, wq.AndNot):
            return self._mask(q.a, memo) & ~self._mask(q.b, memo)
        if isinstance(q, wq.And):
            mask = self._mask(q.subqueries[0], memo)
            for sub in q.subqueries[1:]:
                mask &= self._mask(sub, memo)
            return mask
        if isinstance(q, wq.Or) and not isinstance(q, wq.DisjunctionMax):
            mask = np.zeros(self.size, dtype=bool)
            for sub in q.subqueries:
                mask |= self._mask(sub, memo)
            return mask
        if memo is None:
            return self._whoosh_matches(q)
        found = memo.get(q)
        if found is None:
            found = memo[q] = self._whoosh_matches(q)
        return found.copy()

    def _whoosh_matches(self, q: wq.Query) -> np.ndarray:
        phrase = self._phrase_matches(q)
        if phrase is not None:
            return phrase
        mask = np.zeros(self.size, dtype=bool)
        context = self.searcher.boolean_context()
        for leaf, offset in self.leaves:
            matcher = q.matcher(leaf, context)
            if matcher.is_active():
                ids = np.fromiter(matcher.all_ids(), dtype=np.int64)
                mask[ids + offset] = True
        return mask

    def _phrase_matches(self, q: wq.Query) -> np.ndarray | None:
        """A plain phrase's live matches, the same as Whoosh's (None for what this does not read)."""
        schema = self.searcher.schema
        if type(q) is not wq.Phrase or q.slop != 1 or not q.words or q.fieldname not in schema:
            return None
        if not reads_phrases(schema[q.fieldname]):
            return None
        postings = {word: self.term_docnums(q.fieldname, word) for word in q.words}
        having = self.live.copy()  # the live documents having every word, sorted
        for found in postings.values():  # masks, not intersections of arrays: no sorting
            one = np.zeros(self.size, dtype=bool)
            one[found] = True
            having &= one
        docnums = np.flatnonzero(having)
        mask = np.zeros(self.size, dtype=bool)
        for leaf, offset in self.leaves:
            reader = leaf.reader()
            end = offset + reader.doc_count_all()
            local = docnums[(docnums >= offset) & (docnums < end)] - offset
            if len(local):
                here = {word: found[(found >= offset) & (found < end)] - offset for word, found in postings.items()}
                mask[phrase_docnums(reader, q.fieldname, list(q.words), local, here) + offset] = True
        return mask

    # -- scores ---------------------------------------------------------------------------------

    def scores(self, q: wq.Query, memo: Memo | None = None) -> np.ndarray | None:
        """Every document's score for `q` (meaningful where `q` matches), or None when unsupported."""
        if not self.supports(q):
            return None
        out = np.zeros(self.size, dtype=np.float64)
        self._add(q, 1.0, out, memo)
        return out

    def supports(self, q: wq.Query) -> bool:
        if isinstance(q, (wq.Term, DocnumsQuery, wq.Phrase)) or q is wq.NullQuery:
            return True
        if isinstance(q, wq.Not):
            return True  # excluded: scores nothing
        if isinstance(q, (wq.AndMaybe, wq.AndNot)):
            return self.supports(q.a) and self.supports(q.b)
        if isinstance(q, wq.DisjunctionMax) or (isinstance(q, wq.Or) and (q.scale or q.minmatch)):
            return False
        if isinstance(q, (wq.And, wq.Or)):
            return all(self.supports(sub) for sub in q.subqueries)
        return False

    def _add(self, q: wq.Query, boost: float, out: np.ndarray, memo: Memo | None) -> None:
        """Adds q's score, times `boost`, to the documents q matches (and only those)."""
        if isinstance(q, wq.Term):
            found = self._term(q.fieldname, q.text)
            if found is not None:
                docnums, scores = found
                factor = boost * q.boost
                out[docnums] += scores * factor if factor != 1.0 else scores
        elif isinstance(q, wq.Phrase):
            # Whoosh scores a phrase as its words' scores, where the phrase itself matches.
            part = np.zeros_like(out)
            for word in q.words:
                self._add(wq.Term(q.fieldname, word), boost * q.boost, part, memo)
            out += part * self._mask(q, memo)
        elif isinstance(q, wq.Not):
            # Whoosh scores an exclusion's matches (everything else) at a constant 1.
            out += boost * ~self._mask(q.query, memo)
        elif isinstance(q, wq.AndMaybe):
            part = np.zeros_like(out)
            self._add(q.a, boost, part, memo)
            self._add(q.b, boost, part, memo)
            out += part * self._mask(q.a, memo)
        elif isinstance(q, wq.AndNot):
            part = np.zeros_like(out)
            self._add(q.a, boost, part, memo)
            out += part * ~self._mask(q.b, memo)
        elif isinstance(q, (wq.And, wq.Or)):
            # A compound of one query is that query, its boost ignored (as Whoosh's matcher does).
            inner = boost * q.boost if len(q.subqueries) > 1 else boost
            if isinstance(q, wq.Or):
                for sub in q.subqueries:
                    self._add(sub, inner, out, memo)
            else:
                part = np.zeros_like(out)
                for sub in q.subqueries:
                    self._add(sub, inner, part, memo)
                out += part * self._mask(q, memo)
        # DocnumsQuery (dates) and NullQuery score 0.

    def _term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        return self._terms.get((fieldname, text), lambda: self._score_term(fieldname, text))

    def _score_term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        scorer = self._scorer(fieldname, text)
        if scorer is None:
            return None
        docnums64 = self.term_docnums(fieldname, text)
        if not docnums64.size:
            return None
        docnums = docnums64.astype(np.int32)
        tf = self._weights[(fieldname, text)].astype(np.float64)
        return docnums, self._bm25f(scorer, fieldname, docnums, tf)

    def _scorer(self, fieldname: str, text: str) -> BM25FScorer | WeightScorer | None:
        """Whoosh's scorer of the term (None when no document has it), kept for the generation: making
        one looks the term up in every segment (its IDF)."""
        key = (fieldname, text)
        if key in self._scorers:
            return self._scorers[key]
        scorer = None
        if fieldname in self.searcher.schema and key in self.searcher.reader():
            scorer = self.searcher.weighting.scorer(self.searcher, fieldname, text)
            if not isinstance(scorer, (BM25FScorer, WeightScorer)):
                raise TypeError(f"numpy scores mirror BM25F only, not {type(scorer).__name__}")
        if len(self._scorers) >= self.CACHE_SCORERS:
            self._scorers.clear()
        self._scorers[key] = scorer
        return scorer

    def _bm25f(
        self, scorer: BM25FScorer | WeightScorer, fieldname: str, docnums: np.ndarray, tf: np.ndarray
    ) -> np.ndarray:
        """Whoosh's score of a term in `docnums`, given its weight (frequency) in each (0: none)."""
        if isinstance(scorer, WeightScorer):  # facet fields (no lengths): the weight is the score
            return tf
        length = self._field_lengths(fieldname)[docnums]
        b, k1 = scorer.B, scorer.K1
        return scorer.idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / scorer.avgfl)))

    # -- scores of a few documents --------------------------------------------------------------

    def scores_at(self, q: wq.Query, docnums: np.ndarray) -> np.ndarray | None:
        """The scores `scores(q)` gives `docnums` (sorted, live), reading of each term's postings only
        the blocks that hold them: its cost is bounded by their number, not by the index. Words and
        ORs of them only (None for anything else)."""
        if not self._words_only(q):
            return None
        out = np.zeros(len(docnums), dtype=np.float64)
        self._add_at(q, 1.0, out, docnums)
        return out

    def _words_only(self, q: wq.Query) -> bool:
        if isinstance(q, wq.Term):
            return True
        if isinstance(q, wq.Or) and not isinstance(q, wq.DisjunctionMax) and not (q.scale or q.minmatch):
            return all(self._words_only(sub) for sub in q.subqueries)
        return False

    def _add_at(self, q: wq.Query, boost: float, out: np.ndarray, docnums: np.ndarray) -> None:
        """_add for words and ORs, over `docnums` only: the same sums in the same order."""
        if isinstance(q, wq.Term):
            scorer = self._scorer(q.fieldname, q.text)
            if scorer is not None:
                scores = self._bm25f(scorer, q.fieldname, docnums, self._weights_at(q.fieldname, q.text, docnums))
                factor = boost * q.boost
                out += scores * factor if factor != 1.0 else scores
            return
        inner = boost * q.boost if len(q.subqueries) > 1 else boost
        for sub in q.subqueries:
            self._add_at(sub, inner, out, docnums)

    def _weights_at(self, fieldname: str, text: str, docnums: np.ndarray) -> np.ndarray:
        """The term's weight in each of `docnums` (sorted), 0 where it is absent: from its postings
        when they are cached, else from the blocks holding those documents."""
        out = np.zeros(len(docnums), dtype=np.float64)
        cached = self._docnums.get((fieldname, text))
        if cached is not None:
            places = np.minimum(np.searchsorted(cached, docnums), max(cached.size - 1, 0))
            found = cached[places] == docnums if cached.size else np.zeros(len(docnums), dtype=bool)
            out[found] = self._weights[(fieldname, text)][places[found]]
            return out
        wanted = docnums.tolist()
        for index, reader, offset, local in self._by_segment(fieldname, text, wanted):
            blocks = self._block_index(reader, fieldname, text, index)
            for docnum, weight in term_weights(reader, fieldname, text, local, blocks).items():
                out[bisect_left(wanted, docnum + offset)] = weight
        return out

    def positions_at(self, fieldname: str, text: str, docnums: list[int]) -> dict[int, list[int]]:
        """The term's positions in each of `docnums` (sorted) that has it, from the posting blocks
        that hold them only (found by the term's cached block index)."""
        out: dict[int, list[int]] = {}
        for index, reader, offset, local in self._by_segment(fieldname, text, docnums):
            blocks = self._block_index(reader, fieldname, text, index)
            out.update(
                (d + offset, found) for d, found in term_positions(reader, fieldname, text, local, blocks).items()
            )
        return out

    def _by_segment(self, fieldname: str, text: str, docnums: list[int]) -> Iterator[tuple[int, Any, int, list[int]]]:
        return segments_holding(self.leaves, self.size, fieldname, text, docnums)

    def _block_index(self, reader, fieldname: str, text: str, segment: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The term's posting blocks in a segment (whoosh_internals.block_index), kept per generation:
        walking the headers of a common word's thousands of blocks costs more than reading a few."""
        return self._blocks.get((fieldname, text, segment), lambda: block_index(reader, fieldname, text))

    def _field_lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length in the field, as Whoosh's scorer reads it (1 when absent)."""
        found = self._lengths.get(fieldname)
        if found is None:
            found = np.ones(self.size, dtype=np.float64)
            for leaf, offset in self.leaves:
                lengths = field_lengths(leaf.reader(), fieldname, default=1.0)
                found[offset : offset + lengths.size] = lengths
            self._lengths[fieldname] = found
        return found


Pair = tuple[np.ndarray, np.ndarray]


class _Kept:
    """Pairs of arrays kept for a generation up to `budget` elements (of their first arrays): all
    dropped at once when a new pair would pass it."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._found: dict[tuple, Pair | None] = {}
        self._held = 0

    def get(self, key: tuple, make: Callable[[], Pair | None]) -> Pair | None:
        if key in self._found:
            return self._found[key]
        found = make()
        size = 0 if found is None else found[0].size
        if self._held + size > self.budget:
            self._found.clear()
            self._held = 0
        self._found[key] = found
        self._held += size
        return found


class RequestEvaluator:
    """One request's view of an Evaluator: the positional matches it finds are kept for the
    request (scoring a phrase needs its matches again), and dropped with it."""

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator
        self._memo: Memo = {}

    def mask(self, q: wq.Query) -> np.ndarray:
        return self.evaluator.mask(q, self._memo)

    def scores(self, q: wq.Query) -> np.ndarray | None:
        return self.evaluator.scores(q, self._memo)

    def scores_at(self, q: wq.Query, docnums: np.ndarray) -> np.ndarray | None:
        return self.evaluator.scores_at(q, docnums)

    def positions_at(self, fieldname: str, text: str, docnums: list[int]) -> dict[int, list[int]]:
        return self.evaluator.positions_at(fieldname, text, docnums)
