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
  (Every, spans) give None and the caller asks Whoosh.

One Evaluator serves a generation; `Evaluator.request()` gives one request's view, which
remembers the positional matches (phrases) it found so that scoring does not find them again.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25FScorer, WeightScorer

from search.index.phrases import phrase_docnums, reads_phrases
from search.index.whoosh_internals import field_lengths, posting_blocks
from search.query.compile import DocnumsQuery

Memo = dict  # query -> its match mask, for one request


class Evaluator:
    CACHE_TERMS = 4096  # match arrays of terms kept per generation
    # Postings whose docnums (8 bytes) and weights (4) are kept: ~250 MB; a common word at a million
    # articles has 500,000.
    CACHE_DOCNUMS = 21_000_000
    CACHE_POSTINGS = 4_000_000  # scored postings kept per generation (12 bytes each)

    def __init__(self, searcher, live: np.ndarray) -> None:
        self.searcher = searcher  # the top-level Whoosh searcher, with the product's weighting
        self.live = live
        self.size = live.size
        self.leaves = [(leaf, offset) for leaf, offset in searcher.leaf_searchers()]
        self._docnums: dict[tuple[str, str], np.ndarray] = {}
        self._weights: dict[tuple[str, str], np.ndarray] = {}  # beside _docnums: each posting's weight
        self._docnums_held = 0
        self._lengths: dict[str, np.ndarray] = {}
        self._terms: dict[tuple[str, str], tuple[np.ndarray, np.ndarray] | None] = {}
        self._cached = 0

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
        key = (fieldname, text)
        if key in self._terms:
            return self._terms[key]
        found = self._score_term(fieldname, text)
        size = 0 if found is None else found[0].size
        if self._cached + size > self.CACHE_POSTINGS:
            self._terms.clear()
            self._cached = 0
        self._terms[key] = found
        self._cached += size
        return found

    def _score_term(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray] | None:
        if fieldname not in self.searcher.schema or (fieldname, text) not in self.searcher.reader():
            return None
        scorer = self.searcher.weighting.scorer(self.searcher, fieldname, text)
        if not isinstance(scorer, (BM25FScorer, WeightScorer)):
            raise TypeError(f"numpy scores mirror BM25F only, not {type(scorer).__name__}")
        docnums64 = self.term_docnums(fieldname, text)
        if not docnums64.size:
            return None
        docnums = docnums64.astype(np.int32)
        tf = self._weights[(fieldname, text)].astype(np.float64)
        if isinstance(scorer, WeightScorer):  # facet fields (no lengths): the weight is the score
            return docnums, tf
        length = self._field_lengths(fieldname)[docnums]
        b, k1 = scorer.B, scorer.K1
        scores = scorer.idf * ((tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length / scorer.avgfl)))
        return docnums, scores

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
