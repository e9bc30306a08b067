"""The free-text ("any words") query: the analyzed words of a text, ORed over the text fields,
so that documents matching more (and rarer) words rank first under BM25F (search.engine.ranking),
the words that only phrase a question weighing less (search.query.content_words).
The searcher reads a query this way when every word finds fewer than a page of articles.
"""

from __future__ import annotations

from functools import lru_cache

from whoosh import query as wq
from whoosh.fields import Schema

from search.index.schema import TEXT_FIELDS, build_schema
from search.query.content_words import OTHER_WORD_WEIGHT, term_weights

# A word typed twice counts twice (MAP 0.702 against 0.700 counting it once).
REPEATS = True


@lru_cache(maxsize=1)
def _default_schema() -> Schema:
    return build_schema()


def query_terms(text: str, schema: Schema | None = None, field: str = "body") -> list[str]:
    """The index terms of a free text, in order, repeats kept (stop words dropped)."""
    schema = schema or _default_schema()
    return [t.text for t in schema[field].analyzer(text)]


def natural_query(
    text: str,
    fields: tuple[str, ...] = TEXT_FIELDS,
    schema: Schema | None = None,
    *,
    repeats: bool = REPEATS,
    other_words: float = OTHER_WORD_WEIGHT,
) -> wq.Query:
    """A ranked OR over the words of `text` in the text fields: the "any words" query.

    Each distinct word becomes one clause (an OR of that word over the fields);
    with `repeats`, a word typed twice counts twice; a word that is no noun, name, adjective or
    number weighs `other_words` (1: as much as any). Returns `NullQuery` when the
    text has no searchable words. (The keyword arguments exist for bench/relevance.py's grid.)
    """
    schema = schema or _default_schema()
    fields = tuple(f for f in fields if f in schema)
    if not fields:
        return wq.NullQuery
    # All text fields share one analyzer (schema.build_schema), so analyze once.
    terms = query_terms(text, schema, fields[0])
    if not terms:
        return wq.NullQuery
    counted = _counted(terms)
    weights: dict[str, float] = {}
    if other_words != 1.0 and len(counted) > 1:  # one word has nothing to weigh against
        weights = term_weights(text, lambda word: query_terms(word, schema, fields[0]), other_words)
    clauses: list[wq.Query] = []
    for term, count in counted.items():
        per_field = [wq.Term(f, term) for f in fields]
        clause = per_field[0] if len(per_field) == 1 else wq.Or(per_field)
        boost = (float(count) if repeats else 1.0) * weights.get(term, 1.0)
        if boost != 1.0:
            clause = clause.with_boost(boost)
        clauses.append(clause)
    return clauses[0] if len(clauses) == 1 else wq.Or(clauses)


def _counted(terms: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for term in terms:
        counts[term] = counts.get(term, 0) + 1
    return counts
