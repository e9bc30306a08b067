"""Words typed side by side that stand side by side in an article rank it higher.

BM25F scores each word on its own, so for `james baker` a story about "James Gorter" at "Baker,
Fentress" scores like one about James Baker. Two things fix that:

- When every word of a plain query is required (the searcher's first reading), the articles that
  have the words as typed, in that order and each within SLOP positions of the one before, come
  first (`as_typed`: a phrase query, exact over every match), each group in BM25F order. A query
  of a few words typed together is usually a name or a term.
- Then, in either reading, the first RERANK_DEPTH hits get a bonus for each pair of words typed next to each other that the article
has in the same order within SLOP positions ("James A. Baker" counts; "Baker ... James" does
not): the number of such occurrences is saturated like a term frequency (BM25's K1 and B, the
field's length) and weighed like the word it joins, by the field's BM25F weight (FIELD_BOOSTS).

  (In the any-word reading of a long question most neighbouring words are not a phrase, so
  there the bonus alone counts: on TIME, putting such phrases first costs 0.14 MAP.)

The bonus is never negative, so the reranked hits still score at least what they did and stay
above every hit after them: the order past RERANK_DEPTH, and every count, stay as they were.
Positions come from the index (text fields keep them for phrase queries) and are read only for
the reranked hits, a few postings lookups each.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

import numpy as np
from whoosh import query as wq

from search.engine.ranking import FIELD_BOOSTS, TEXT_FIELDS

# Measured on TIME (bench/relevance.py --grid, "proximity" block): MAP 0.710-0.713 for SLOP 3-4
# and WEIGHT 0.75-1.5 against 0.703 without (nDCG@10 0.764-0.768 against 0.763); WEIGHT 1 sits
# in the middle of that plateau. Weighing a pair by its words' IDF instead peaked narrowly.
WEIGHT = 1.0
SLOP = 3
RERANK_DEPTH = 100

Pair = tuple[str, str]


def typed_pairs(query: wq.Query, fields: Sequence[str] = TEXT_FIELDS) -> list[Pair]:
    """The distinct pairs of words the query asks for side by side in the text fields, in the order
    typed; words it excludes are left out."""
    return pairs_of(typed_words(query, fields))


def pairs_of(words: Sequence[str]) -> list[Pair]:
    """Each word with the next (distinct words, in order)."""
    return list(zip(words, words[1:]))


def as_typed(words: Sequence[str], fields: Sequence[str] = TEXT_FIELDS, slop: int = SLOP) -> wq.Query:
    """Articles with the words in the order typed, each within `slop` positions of the one before."""
    return wq.Or([wq.Phrase(field, list(words), slop=slop) for field in fields])


def typed_words(query: wq.Query, fields: Sequence[str] = TEXT_FIELDS) -> list[str]:
    """The distinct words the query asks for in the text fields, in the order typed (excluded ones
    left out)."""
    words: list[str] = []

    def walk(q: wq.Query) -> None:
        if isinstance(q, wq.Not):
            return
        if isinstance(q, wq.AndNot):
            walk(q.a)
        elif isinstance(q, wq.Term):
            if q.fieldname in fields and (not words or words[-1] != q.text):
                words.append(q.text)
        elif isinstance(q, wq.Phrase):
            if q.fieldname in fields:
                for word in q.words:
                    walk(wq.Term(q.fieldname, word))
        else:
            for child in q.children():
                walk(child)

    walk(query)
    # A word asked for in several fields (title OR body) is walked once per field.
    return list(dict.fromkeys(words))


def rerank(
    searcher,
    docnums: np.ndarray,
    scores: np.ndarray,
    pairs: Sequence[Pair],
    *,
    first: np.ndarray | None = None,
    weight: float | None = None,
    slop: int | None = None,
    depth: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`docnums` in result order and their `scores`, with the first `depth` reordered by score plus
    `weight` times the proximity bonus; where `first` (a mask over docnums) is given, the documents
    it marks were put first and stay first. No pairs: unchanged. (`weight`, `slop` and `depth`,
    WEIGHT, SLOP and RERANK_DEPTH when not given, are for bench/relevance.py's grid.)"""
    weight = WEIGHT if weight is None else weight
    slop = SLOP if slop is None else slop
    depth = RERANK_DEPTH if depth is None else depth
    if not pairs or weight <= 0 or not len(docnums):
        return docnums, scores
    head = min(depth, len(docnums))
    bonus = proximity_scores(searcher, docnums[:head], pairs, slop)
    if not bonus.any():
        return docnums, scores
    new = scores[:head] + weight * bonus
    tier = np.zeros(head, dtype=bool) if first is None else first[:head]
    order = np.lexsort((docnums[:head], -new, ~tier))
    return (
        np.concatenate([docnums[:head][order], docnums[head:]]),
        np.concatenate([new[order], scores[head:]]),
    )


def proximity_scores(searcher, docnums: np.ndarray, pairs: Sequence[Pair], slop: int = SLOP) -> np.ndarray:
    """Each document's bonus for the pairs, over the text fields."""
    out = np.zeros(len(docnums), dtype=np.float64)
    words = list(dict.fromkeys(w for pair in pairs for w in pair))
    for field in TEXT_FIELDS:
        if field not in searcher.schema:
            continue
        positions = _positions(searcher, field, words, docnums)
        if len(positions) < 2:
            continue
        scorer = searcher.weighting.scorer(searcher, field, next(iter(positions)))
        k1, b, avg = scorer.K1, scorer.B, scorer.avgfl or 1.0
        boost = FIELD_BOOSTS.get(field, 1.0)
        for i, docnum in enumerate(docnums.tolist()):
            found = 0.0
            for first, second in pairs:
                a, b_ = positions.get(first, {}).get(docnum), positions.get(second, {}).get(docnum)
                if a and b_:
                    tf = ordered_near(a, b_, slop)
                    if tf:
                        length = searcher.doc_field_length(docnum, field, 1) or 1
                        found += tf * (k1 + 1) / (tf + k1 * ((1 - b) + b * length / avg))
            out[i] += boost * found
    return out


def ordered_near(first: list[int], second: list[int], slop: int = SLOP) -> int:
    """How many occurrences of the first word have the second within `slop` positions after them
    (both lists sorted)."""
    count = 0
    for pos in first:
        lo = bisect_right(second, pos)
        if lo < len(second) and second[lo] <= pos + slop:
            count += 1
    return count


def _positions(searcher, field: str, words: Sequence[str], docnums: np.ndarray) -> dict[str, dict[int, list[int]]]:
    """word -> {top-level docnum: its positions in `field`}, for the given documents only."""
    wanted = np.sort(docnums).tolist()
    leaves = list(searcher.leaf_searchers())
    bounds = [offset for _, offset in leaves] + [searcher.doc_count_all()]
    out: dict[str, dict[int, list[int]]] = {}
    for word in words:
        found: dict[int, list[int]] = {}
        for index, (leaf, offset) in enumerate(leaves):
            lo, hi = bisect_left(wanted, offset), bisect_left(wanted, bounds[index + 1])
            reader = leaf.reader()
            if lo == hi or (field, word) not in reader:
                continue
            matcher = reader.postings(field, word)
            for docnum in (d - offset for d in wanted[lo:hi]):
                if matcher.is_active() and matcher.id() < docnum:
                    matcher.skip_to(docnum)
                if not matcher.is_active():
                    break
                if matcher.id() == docnum:
                    found[docnum + offset] = matcher.value_as("positions")
        if found:
            out[word] = found
    return out
