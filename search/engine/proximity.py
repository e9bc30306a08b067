"""Words typed side by side that stand side by side in an article rank it higher.

BM25F scores each word on its own, so for `james baker` a story about "James Gorter" at "Baker,
Fentress" scores like one about James Baker. Once BM25F has ranked every match, the first
RERANK_DEPTH hits are reordered (positions are read for them only, a few postings lookups each):

- When every word of a plain query is required (the searcher's first reading), the hits that
  have the words as typed, in that order and each within SLOP positions of the one before
  ("James A. Baker" counts, "Baker ... James" does not), come first. A few words typed
  together are usually a name or a term. In the any-word reading of a long question most
  neighbouring words are no phrase, and putting such matches first costs TIME 0.14 MAP.
- Each pair of neighbouring query words that the article has in that order within SLOP
  positions adds a bonus, in the manner of BM25TP (Rasolofo and Savoy, 2003): the number of such
  occurrences saturated like a term frequency (BM25's K1 and B, the field's length), times the
  field's weight (FIELD_BOOSTS) and WEIGHT. In the any-word reading only for a query of at most
  ANY_WORD_MAX_WORDS words: a long question's neighbouring words are mostly no phrase.

The bonus is never negative and the reordering stays within the first RERANK_DEPTH hits, which
BM25F put above every later one: the order past them, and every count, stay as they were.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence

import numpy as np
from whoosh import query as wq

from search.engine.evaluate import segments_holding
from search.index.schema import FIELD_BOOSTS, TEXT_FIELDS
from search.index.whoosh_internals.reading import term_positions

# Set on TIME's long questions, before the bonus left them (BM25F alone, no feedback): MAP
# 0.710-0.713 for SLOP 3-4 and WEIGHT 0.75-1.5 against 0.703 without; WEIGHT 1 sits in the middle
# of that plateau. Weighing a pair by its words' IDF instead peaked narrowly. TIME has no short
# queries to measure them on; tests/test_proximity.py shows what they do for `james baker`.
WEIGHT = 1.0
SLOP = 3
RERANK_DEPTH = 100
# The longest query (in distinct words) read as any of its words that still gets the bonus. TIME's
# questions (3 to 19 distinct words, every one read as any word; 4 or fewer in 4 of the 83) are where
# the bonus was measured on long questions: 6 of 35 settings beat no bonus, and in every setting it
# ranked more questions worse than better (bench/relevance.py --held-out, grid 3; this setting 17
# better and 23 worse). A name or a term is rarely longer than four words ("Mirza Fakhrul Islam
# Alamgir"); a query that short falls back to any word only when few articles have every word.
ANY_WORD_MAX_WORDS = 4

Pair = tuple[str, str]
Positions = dict[str, dict[int, list[int]]]  # word -> {top-level docnum: positions in one field}
# (field, word, sorted top-level docnums) -> {docnum: the word's positions}: Evaluator.positions_at
PositionsAt = Callable[[str, str, list[int]], dict[int, list[int]]]


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
            if q.fieldname in fields:
                words.append(q.text)
        elif isinstance(q, wq.Phrase):
            if q.fieldname in fields:
                words.extend(q.words)
        else:
            for child in q.children():
                walk(child)

    walk(query)
    # A word asked for in several fields (title OR body) is met once per field.
    return list(dict.fromkeys(words))


def pairs_of(words: Sequence[str]) -> list[Pair]:
    """Each word with the next."""
    return list(zip(words, words[1:]))


def typed_pairs(query: wq.Query, fields: Sequence[str] = TEXT_FIELDS) -> list[Pair]:
    """The pairs of words the query asks for side by side in the text fields, in the order typed."""
    return pairs_of(typed_words(query, fields))


def rerank(
    searcher,
    docnums: np.ndarray,
    scores: np.ndarray,
    words: Sequence[str],
    *,
    as_typed_first: bool = False,
    any_word: bool = False,
    weight: float | None = None,
    slop: int | None = None,
    depth: int | None = None,
    any_word_max_words: int | None = None,
    positions_at: PositionsAt | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """`docnums` best first and their `scores`, with the first `depth` reordered: those that have
    all `words` as typed first (with `as_typed_first`), then by score plus `weight` times the
    proximity bonus. Unchanged for fewer than two words, and for more than `any_word_max_words` in
    the any-word reading (`any_word`). (`weight`, `slop`, `depth` and `any_word_max_words`, WEIGHT,
    SLOP, RERANK_DEPTH and ANY_WORD_MAX_WORDS when not given, are for bench/relevance.py's grids.)
    `positions_at` reads the words' positions (by default, from the searcher's segments, block
    after block)."""
    weight = WEIGHT if weight is None else weight
    slop = SLOP if slop is None else slop
    depth = RERANK_DEPTH if depth is None else depth
    longest = ANY_WORD_MAX_WORDS if any_word_max_words is None else any_word_max_words
    if len(words) < 2 or not len(docnums) or (weight <= 0 and not as_typed_first):
        return docnums, scores
    if any_word and len(words) > longest:
        return docnums, scores
    head = docnums[: min(depth, len(docnums))]
    bonus, typed = proximity_scores(searcher, head, words, slop, positions_at)
    if not as_typed_first:
        typed[:] = False
    if not bonus.any() and not typed.any():
        return docnums, scores
    new = scores[: len(head)] + weight * bonus
    order = np.lexsort((head, -new, ~typed))
    return (
        np.concatenate([head[order], docnums[len(head) :]]),
        np.concatenate([new[order], scores[len(head) :]]),
    )


def proximity_scores(
    searcher, docnums: np.ndarray, words: Sequence[str], slop: int = SLOP, positions_at: PositionsAt | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """For each document: its bonus for the neighbouring pairs of `words` over the text fields, and
    whether some field has all the words as typed."""
    bonus = np.zeros(len(docnums), dtype=np.float64)
    typed = np.zeros(len(docnums), dtype=bool)
    for field in TEXT_FIELDS:
        if field not in searcher.schema:
            continue
        if positions_at is None:
            positions = _positions(searcher, field, words, docnums)
        else:
            wanted = np.sort(docnums).tolist()
            positions = {word: held for word in words if (held := positions_at(field, word, wanted))}
        if len(positions) < 2:
            continue
        scorer = searcher.weighting.scorer(searcher, field, next(iter(positions)))
        k1, b, avg = scorer.K1, scorer.B, scorer.avgfl or 1.0
        boost = FIELD_BOOSTS.get(field, 1.0)
        for i, docnum in enumerate(docnums.tolist()):
            found = [positions.get(word, {}).get(docnum) for word in words]
            saturated, norm = 0.0, None
            for a, b_ in zip(found, found[1:]):  # each word with the next (distinct words)
                tf = ordered_near(a, b_, slop) if a and b_ else 0
                if tf:
                    if norm is None:  # BM25's length normalisation, read once per document
                        norm = k1 * ((1 - b) + b * (searcher.doc_field_length(docnum, field, 1) or 1) / avg)
                    saturated += tf * (k1 + 1) / (tf + norm)
            bonus[i] += boost * saturated
            if saturated and not typed[i] and all(found):
                typed[i] = in_order(found, slop)  # type: ignore[arg-type]
    return bonus, typed


def ordered_near(first: list[int], second: list[int], slop: int = SLOP) -> int:
    """How many occurrences of the first word have the second within `slop` positions after them
    (both lists sorted)."""
    count = 0
    for pos in first:
        lo = bisect_right(second, pos)
        if lo < len(second) and second[lo] <= pos + slop:
            count += 1
    return count


def in_order(positions: Sequence[list[int]], slop: int = SLOP) -> bool:
    """Whether the words stand in this order, each within `slop` positions after the one before."""
    reached = positions[0]
    for following in positions[1:]:
        reached = [p for p in following if any(0 < p - q <= slop for q in reached)]
        if not reached:
            return False
    return True


def _positions(searcher, field: str, words: Sequence[str], docnums: np.ndarray) -> Positions:
    """word -> {top-level docnum: its positions in `field`}, for the given documents only."""
    wanted = np.sort(docnums).tolist()
    leaves = list(searcher.leaf_searchers())
    out: Positions = {}
    for word in words:
        found: dict[int, list[int]] = {}
        for _, reader, offset, local in segments_holding(leaves, searcher.doc_count_all(), field, word, wanted):
            found.update((d + offset, p) for d, p in term_positions(reader, field, word, local).items())
        if found:
            out[word] = found
    return out
