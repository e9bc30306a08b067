"""Did you mean on the search cluster: the archive's terms, kept by Dateline beside each generation.

SphinxQL 2.2 cannot list an index's dictionary (CALL KEYWORDS neither expands a prefix nor reads a
distributed index), so a rebuild counts, per shard, the articles whose title and body hold each of
Dateline's terms and writes them to the shard's `vocab_<slot>` index (search.cluster.spec): one
row per term and shard, its first letter as the only word of its `initial` field, its length and
its two document frequencies. Summed over the shards (GROUP BY sid) these are the frequencies the
embedded index has, so search.engine.suggest decides the same corrections: `TermReader` gives it
the few reads it makes of a Whoosh reader (terms of a field by first letter, document frequency,
a few articles holding a term).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from search.cluster.documents import hash63
from search.cluster.match import SAFE_TOKEN
from search.cluster.spec import DIST_ARTICLES, DIST_VOCAB, GAP_TOKEN

FIELDS = ("title", "body")  # search.engine.suggest.SUGGEST_FIELDS
VOCAB_COLUMNS = ("id", "initial", "sid", "term", "length", "title_df", "body_df")
CACHED_TERMS = 100_000  # document frequencies kept per generation (a few MB)


def term_id(term: str) -> int:
    return hash63("term\0" + term)


class ShardTerms:
    """One shard's terms and the articles holding each, per field, as its rows are written."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[str]] = {field: Counter() for field in FIELDS}

    def add(self, values: dict[str, object]) -> None:
        for field in FIELDS:
            self.counts[field].update(set(str(values[field]).split()) - {GAP_TOKEN})

    def rows(self, shard: int) -> Iterator[dict[str, Any]]:
        title, body = self.counts["title"], self.counts["body"]
        for term in title.keys() | body.keys():
            yield {
                "id": hash63(f"term\0{shard}\0{term}"),  # one row per shard: the distributed index keeps each
                "initial": initial_word(term),
                "sid": term_id(term),
                "term": term,
                "length": len(term),
                "title_df": title[term],
                "body_df": body[term],
            }


def initial_word(term: str) -> str:
    """The word of a term's first letter: its code point in hex (any letter, never query syntax)."""
    return f"i{ord(term[:1] or ' '):x}"


class _Field:
    @staticmethod
    def from_bytes(raw: bytes) -> str:
        return raw.decode("utf-8")


class _Ids:
    def __init__(self, ids: list[int]) -> None:
        self.ids = ids

    def all_ids(self) -> Iterator[int]:
        return iter(self.ids)


# (SphinxQL, args) -> the rows of its first result set
Query = Callable[[str, list[object]], list[tuple]]


class TermReader:
    """One generation's terms, read as search.engine.suggest reads a Whoosh reader and searcher:
    `schema`, `expand_prefix`, `doc_frequency`, `postings(...).all_ids()`, `stored_fields`.
    One per generation (suggest caches the terms of each first letter per reader)."""

    SAMPLE = 3  # articles read for a term's written form (search.engine.suggest.SURFACE_SAMPLE_DOCS)

    def __init__(self, query: Query, slot: str, cap: int) -> None:
        self.query = query
        self.slot = slot
        self.cap = cap
        self.schema = {field: _Field() for field in FIELDS}
        self._frequencies: dict[str, tuple[int, int]] = {}  # term -> (title, body) document frequencies

    def reader(self) -> TermReader:
        return self

    def expand_prefix(self, field: str, initial: str) -> Iterator[bytes]:
        """The field's terms beginning with `initial` (a first letter)."""
        rows = self.query(
            f"SELECT term, SUM({field}_df) AS df FROM {DIST_VOCAB.format(slot=self.slot)} WHERE MATCH(%s) "
            f"AND {field}_df > 0 GROUP BY sid LIMIT {self.cap} OPTION max_matches = {self.cap}",
            [f"@initial {initial_word(initial)}"],
        )
        return (str(term).encode("utf-8") for term, _ in rows)

    def doc_frequency(self, field: str, term: str) -> int:
        """Articles whose `field` holds the term. A generation's counts never change: both fields'
        are read at once and kept (every search asks for each of its words)."""
        found = self._frequencies.get(term)
        if found is None:
            rows = self.query(
                f"SELECT SUM(title_df) AS t, SUM(body_df) AS b FROM {DIST_VOCAB.format(slot=self.slot)} "
                f"WHERE sid = {term_id(term)} GROUP BY sid LIMIT 1",
                [],
            )
            found = (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)
            if len(self._frequencies) >= CACHED_TERMS:
                self._frequencies.clear()
            self._frequencies[term] = found
        return found[FIELDS.index(field)]

    def postings(self, field: str, term: str) -> _Ids:
        """The first articles holding the term, in the order the rebuild read them (as the
        embedded index's document numbers go): the same sample, the same written form."""
        if not SAFE_TOKEN.match(term):
            return _Ids([])
        rows = self.query(
            f"SELECT id FROM {DIST_ARTICLES.format(slot=self.slot)} WHERE MATCH(%s) ORDER BY seq ASC "
            f"LIMIT {self.SAMPLE} OPTION max_matches = {self.SAMPLE}",
            [f"@{field} {term}"],
        )
        return _Ids([int(row[0]) for row in rows])

    def stored_fields(self, row_id: int) -> dict:
        rows = self.query(f"SELECT doc FROM {DIST_ARTICLES.format(slot=self.slot)} WHERE id = {int(row_id)}", [])
        return orjson.loads(rows[0][0]) if rows else {"id": ""}
