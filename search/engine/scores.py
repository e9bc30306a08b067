"""BM25F scores of whole result sets with numpy, figure for figure what Whoosh's matchers give.

Whoosh scores a query by walking its matchers in Python, posting by posting, and an
AND of several words over three fields spends most of a search there. Here each
(field, term) is scored once per index generation for every document that has it
(postings read block by block, field lengths from one cached array per field), and a
query's scores are sums of those arrays, each part counted where it matches: Or, And
and AndMaybe add their parts, AndNot adds nothing for its exclusion, a bare Not scores
1, a phrase is its words' scores where it matches (its matches found once per
request, by Whoosh: MatchSets.request_memo), boosts multiply, as in Whoosh. Queries
with other parts (Every, spans) return None and the caller asks Whoosh.
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq
from whoosh.scoring import BM25FScorer, WeightScorer

from search.query.compile import DocnumsQuery, MatchSets


class Scores:
    CACHE_POSTINGS = 4_000_000  # scored postings kept per generation (12 bytes each)

    def __init__(self, searcher, matches: MatchSets) -> None:
        self.searcher = searcher  # the top-level Whoosh searcher, with the product's weighting
        self.matches = matches  # which documents each part matches
        self.size = matches.size
        self.leaves = [(leaf, offset) for leaf, offset in searcher.leaf_searchers()]
        self._lengths: dict[str, np.ndarray] = {}
        self._terms: dict[tuple[str, str], tuple[np.ndarray, np.ndarray] | None] = {}
        self._cached = 0

    def scores(self, q: wq.Query) -> np.ndarray | None:
        """Every document's score for `q` (meaningful where `q` matches), or None when unsupported."""
        if not self.supports(q):
            return None
        out = np.zeros(self.size, dtype=np.float64)
        self._add(q, 1.0, out)
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

    def _add(self, q: wq.Query, boost: float, out: np.ndarray) -> None:
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
                self._add(wq.Term(q.fieldname, word), boost * q.boost, part)
            out += part * self.matches._mask(q)
        elif isinstance(q, wq.Not):
            # Whoosh scores an exclusion's matches (everything else) at a constant 1.
            out += boost * ~self.matches._mask(q.query)
        elif isinstance(q, wq.AndMaybe):
            part = np.zeros_like(out)
            self._add(q.a, boost, part)
            self._add(q.b, boost, part)
            out += part * self.matches._mask(q.a)
        elif isinstance(q, wq.AndNot):
            part = np.zeros_like(out)
            self._add(q.a, boost, part)
            out += part * ~self.matches._mask(q.b)
        elif isinstance(q, (wq.And, wq.Or)):
            # A compound of one query is that query, its boost ignored (as Whoosh's matcher does).
            inner = boost * q.boost if len(q.subqueries) > 1 else boost
            if isinstance(q, wq.Or):
                for sub in q.subqueries:
                    self._add(sub, inner, out)
            else:
                part = np.zeros_like(out)
                for sub in q.subqueries:
                    self._add(sub, inner, part)
                out += part * self.matches._mask(q)
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
        ids, weights = [], []
        for leaf, offset in self.leaves:
            reader = leaf.reader()
            if (fieldname, text) not in reader:
                continue
            matcher = reader.postings(fieldname, text)
            while hasattr(matcher, "child"):  # deletions wrap the postings; the match mask handles them
                matcher = matcher.child
            if not hasattr(matcher, "_read_ids"):
                while matcher.is_active():
                    ids.append(np.array([matcher.id() + offset]))
                    weights.append(np.array([matcher.weight()], dtype=np.float64))
                    matcher.next()
                continue
            while matcher.is_active():
                matcher._read_ids()
                matcher._read_weights()
                ids.append(np.asarray(matcher._ids, dtype=np.int64) + offset)
                weights.append(np.asarray(matcher._weights, dtype=np.float64))
                matcher._next_block()
        if not ids:
            return None
        docnums = np.concatenate(ids).astype(np.int32)
        tf = np.concatenate(weights)
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
                reader = leaf.reader()
                for docnum in range(reader.doc_count_all()):
                    found[offset + docnum] = reader.doc_field_length(docnum, fieldname, 1)
            self._lengths[fieldname] = found
        return found
