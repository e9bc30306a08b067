"""Pseudo-relevance feedback for long questions: the words of the best hits join the query.

A question read as any of its words ("any word" reading: no article has every word) names its
subject in a few words among many that only phrase the question. The articles BM25F ranks first
usually are about that subject, and they share its vocabulary. RM3 (Lavrenko and Croft's
relevance model, interpolated with the query as in Abdul-Jaleel et al., 2004):

- the relevance model: each word's share of the text of the FEEDBACK_DOCS best hits, weighted by
  each hit's share of their scores; its TERMS most likely words, each found in at least MIN_DOCS
  articles (a word of one article is no evidence of a subject);
- a new score: (1 - WEIGHT) times the query's BM25F score plus WEIGHT times the relevance model's
  (each word's BM25F score over the text fields times its probability, scaled to the query's
  length so that the two parts weigh alike), for the DEPTH best matches by the query's score;
  the others count the model as 0, which keeps them after those in the query's order (as
  proximity reorders only the first RERANK_DEPTH), so pages and cursors see one list.

Only the scores change: the matches, their count and facets are the query's own. Deterministic:
the best hits are taken in score order, docnum breaking ties. The cost is reading and analysing
the stored text of FEEDBACK_DOCS articles and scoring TERMS more words in DEPTH articles, reading
only the posting blocks that hold them (search.engine.evaluate's `scores_at`): bounded by DEPTH,
not by the index, where a common word has hundreds of thousands of postings (bench/relevance.py
prints the cost on TIME).
Embedded engine only: the cluster ranks in Sphinx, which does no feedback.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from search.index.schema import TEXT_FIELDS

# Tuned on TIME (bench/relevance.py --grid, grid 5: DOCS 3/5/10 x TERMS 10-50 x WEIGHT 0.1-0.3),
# before question words were weighed (search.query.content_words) and while the proximity bonus
# still applied to long questions: MAP 0.7227 here, the best cell, against 0.7096 without; 32 of 36
# settings beat no feedback. Feedback on its own against BM25F alone: 28 queries better and 7 worse
# (paired randomisation p = 0.008). Beside the question words weighed, it adds little: MAP 0.7176
# -> 0.7186 as shipped, 24 queries better and 10 worse, nDCG@10 0.7761 -> 0.7700.
# (3 documents and 10 terms, cheaper, lost the dollar from a Reuters question about Baker and the
# dollar: fewer documents narrow the model to the first hit's topic.)
FEEDBACK_DOCS = 5
TERMS = 30
WEIGHT = 0.2
MIN_DOCS = 2
# The matches reordered: the DEPTH best by the query's own score. On TIME (bench/relevance.py, at
# tuning), MAP 0.7225 at 100 (the depth proximity reorders) against 0.7227 over every match, 0.7227
# at 300, 0.7206 at 30. Leaving out the words of more than 10% of the articles moved TIME both ways
# (MAP 0.7225-0.7263, nDCG@10 0.7749-0.7754): not done.
DEPTH = 100


@dataclass(frozen=True)
class RelevanceModel:
    """The feedback words with their probabilities (summing to 1), most likely first."""

    words: tuple[tuple[str, float], ...]

    def query(self, fields: Sequence[str] = TEXT_FIELDS) -> wq.Query:
        """Each word over the text fields, weighted by its probability."""
        clauses = [wq.Or([wq.Term(f, word) for f in fields], boost=p) for word, p in self.words]
        return wq.Or(clauses)


def query_weight(query: wq.Query, fields: Sequence[str] = TEXT_FIELDS) -> float:
    """How many words the query counts (a word typed twice counts twice): the query's length."""
    total = 0.0

    def walk(q: wq.Query, boost: float) -> None:
        nonlocal total
        if isinstance(q, wq.Not):
            return  # an excluded word is no part of what is asked
        if isinstance(q, wq.AndNot):
            walk(q.a, boost)
            return
        if isinstance(q, wq.Term):
            if q.fieldname in fields:
                total += boost * q.boost
            return
        children = list(q.children())
        for child in children:
            walk(child, boost * (q.boost if len(children) > 1 else 1.0))

    walk(query, 1.0)
    # A word asked for in several fields is one word: count it once, not once per field.
    return total / max(1, sum(1 for f in fields if _asks_field(query, f)))


def _asks_field(query: wq.Query, field: str) -> bool:
    return any(isinstance(q, wq.Term) and q.fieldname == field for q in query.leaves())


def relevance_model(
    texts: Sequence[list[str]],
    scores: Sequence[float],
    doc_frequency: Callable[[str], int],
    terms: int | None = None,
    min_docs: int = MIN_DOCS,
) -> RelevanceModel | None:
    """RM1 over the analysed `texts` of the best hits, each weighted by its share of `scores`: the
    `terms` (TERMS) most likely words found in at least `min_docs` articles."""
    terms = TERMS if terms is None else terms
    total_score = float(sum(scores))
    if not texts or total_score <= 0:
        return None
    likelihood: dict[str, float] = {}
    for words, score in zip(texts, scores):
        if not words:
            continue
        share = score / total_score / len(words)
        for word in words:
            likelihood[word] = likelihood.get(word, 0.0) + share
    # Most likely first, the word breaking ties; document frequencies read only until enough are kept.
    chosen: list[tuple[str, float]] = []
    for word, p in sorted(likelihood.items(), key=lambda item: (-item[1], item[0])):
        if doc_frequency(word) >= min_docs:
            chosen.append((word, p))
            if len(chosen) == terms:
                break
    mass = sum(p for _, p in chosen)
    if not chosen or mass <= 0:
        return None
    return RelevanceModel(tuple((word, p / mass) for word, p in chosen))


def best(docnums: np.ndarray, scores: np.ndarray, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The `count` (FEEDBACK_DOCS) best-scored documents, best first, docnum breaking ties."""
    order = best_places(docnums, scores, FEEDBACK_DOCS if count is None else count)
    return docnums[order], scores[order]


def best_places(docnums: np.ndarray, scores: np.ndarray, count: int) -> np.ndarray:
    """Where the `count` best-scored documents are in `docnums`, best first, docnum breaking ties;
    without sorting every match."""
    candidates = np.arange(len(docnums))
    if count <= 0:
        return candidates[:0]
    if count < len(docnums):
        threshold = np.partition(scores, len(scores) - count)[len(scores) - count]
        candidates = np.flatnonzero(scores >= threshold)  # ties at the threshold: the docnum decides
    order = np.lexsort((docnums[candidates], -scores[candidates]))[:count]
    return candidates[order]


def rescored(
    query_scores: np.ndarray,
    model_scores: np.ndarray,
    query_length: float,
    weight: float | None = None,
) -> np.ndarray:
    """RM3's interpolation of the query's scores and the relevance model's (WEIGHT when not given)."""
    weight = WEIGHT if weight is None else weight
    return (1.0 - weight) * query_scores + weight * query_length * model_scores
