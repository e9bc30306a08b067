"""Articles as rows of the cluster's RT indexes: Dateline's own tokens, hashed ids, facet hashes,
their group of wire copies.

The engine indexes what Dateline's analyzer makes (stems, stop words removed), never its own
stemming: a stop word's place is kept by GAP_TOKEN, which the engine treats as a stop word, so
positions (and phrases) are Dateline's. Facet values become 63-bit hashes of their case-folded
form: MVA attributes to count and filter, and `f<hex>` words in the `facets` field, so that a
person:"..." clause composes with words under AND, OR and NOT inside MATCH().
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timezone

import orjson

from search.analysis import NewsTokenizer
from search.article import Article, Entities
from search.cluster.spec import GAP_TOKEN
from search.facet_registry import FACET_FIELDS, FACETS
from search.index.columns import day_number
from search.index.schema import stored_values, to_document

EVERY_WORD = "all"
# The day of an undated article: no date filter or histogram bucket reaches it.
UNDATED_DAY = -(2**40)
FACET_NUMBER = {name: n for n, name in enumerate(FACET_FIELDS)}
# Rows of the names index that are not facet values: a stored person form the name map shows as
# another value ("reagan" -> Ronald Reagan), labelled with that value. A filter typed as the form
# finds the value, as on the embedded engine; name lookups and facet bounds never see these rows.
ALIAS_KIND = 64 + FACET_NUMBER["person"]
FACETS_BY_FIELD = {facet.field: facet for facet in FACETS}


def hash63(text: str) -> int:
    value = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") & (2**63 - 1)
    return value or 1  # 0 is not a document id


def doc_id(article_id: str) -> int:
    return hash63("article\0" + article_id)


def value_key(value: str) -> str:
    """What makes two facet values the same: case and spacing do not matter."""
    return " ".join(value.split()).casefold()


def value_hash(field: str, value: str) -> int:
    """The same for a value as indexed and as typed (the facet's normalise: topic "Sports" is "Sport")."""
    normalise = FACETS_BY_FIELD[field].normalise
    return hash63(f"{field}\0{value_key(normalise(value) or value)}")


def facet_word(field: str, value: str) -> str:
    return facet_word_of(value_hash(field, value))


def facet_word_of(value: int) -> str:
    """The `facets` field's word of a value hash."""
    return f"f{value:016x}"


def tokens(text: str, analyzer: NewsTokenizer) -> str:
    """The analyzer's terms separated by spaces, GAP_TOKEN for each stop word's position."""
    out: list[str] = []
    for token in analyzer(text, positions=True):
        out.extend([GAP_TOKEN] * (token.pos - len(out)))
        out.append(token.text)
    return " ".join(out)


@dataclass(frozen=True)
class ArticleRow:
    """One article as the articles index holds it, and its facet values for the names index."""

    id: int
    values: dict[str, object]
    names: tuple[tuple[int, int, str], ...]  # (id, facet number, label) per facet value

    @staticmethod
    def document(article: Article, entities: Entities, content_hash: str) -> dict:
        """The stored article, as the embedded index stores it (people as extracted)."""
        stored = to_document(article, entities, content_hash)
        stored.pop("published", None)  # a datetime: ts and day below hold it
        return stored

    def with_people(self, hashes: Iterable[int], labels: Mapping[int, str] | None = None) -> ArticleRow:
        """The row with other person values (the name map's): the `person` attribute and its words
        in `facets`; `labels` (hash -> value) name them in the names index (None: no names rows)."""
        person = sorted(set(hashes))
        own = {facet_word_of(h) for h in self.values["person"]}  # type: ignore[attr-defined]
        words = [w for w in str(self.values["facets"]).split() if w not in own]
        values = {**self.values, "person": person, "facets": " ".join([*words, *map(facet_word_of, person)])}
        names = [n for n in self.names if n[1] != FACET_NUMBER["person"]]
        if labels is not None:
            names += [(h, FACET_NUMBER["person"], labels[h]) for h in person]
        return ArticleRow(self.id, values, tuple(names))

    @property
    def group(self) -> int:
        """Rows are routed to shards by this id: a group of wire copies lives on one shard, so
        grouping per shard is grouping across the cluster (a row without copies: its own id)."""
        return int(self.values["grp"])  # type: ignore[call-overload]

    def in_group(self, group: int, copies: int) -> ArticleRow:
        """The row as one of `copies` wire copies of group `group` (the doc_id of its label article)."""
        return ArticleRow(self.id, {**self.values, "grp": group, "copies": copies}, self.names)

    def numbered(self, seq: int) -> ArticleRow:
        """The row as the `seq`-th article the rebuild read: the order the embedded index numbers
        its documents in, which the spelling suggestions' sample of articles follows."""
        return ArticleRow(self.id, {**self.values, "seq": seq}, self.names)

    def to_json(self) -> bytes:
        return orjson.dumps([self.id, self.values, self.names])

    @classmethod
    def from_json(cls, line: bytes) -> ArticleRow:
        row_id, values, names = orjson.loads(line)
        return cls(row_id, values, tuple(tuple(n) for n in names))

    @classmethod
    def from_stored(cls, stored: dict, analyzer: NewsTokenizer) -> ArticleRow:
        from search.index.schema import StoredArticle

        article = StoredArticle.from_stored(stored)
        when = article.published
        facet_values = {name: [v.strip() for v in stored_values(stored, name) if v.strip()] for name in FACET_FIELDS}
        values: dict[str, object] = {
            "title": tokens(article.title, analyzer),
            "subtitle": tokens(article.subtitle, analyzer),
            "body": tokens(article.body, analyzer),
            "facets": " ".join(facet_word(name, v) for name, vs in facet_values.items() for v in vs),
            "every": EVERY_WORD,
            "aid": article.id,
            "doc": orjson.dumps(stored).decode(),
            "ts": int((when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()) if when else 0,
            "dated": 1 if when else 0,
            "day": day_number(when.date()) if when else UNDATED_DAY,
            # Its group of wire copies (search.index.duplicates): the id of the group's label article,
            # its own id when it has no copies; `copies`: the group's articles in the generation.
            "grp": doc_id(article.id),
            "copies": 1,
            "seq": 0,  # its place in the rebuild's reading order (ArticleRow.numbered)
        }
        for name, vs in facet_values.items():
            values[name] = sorted({value_hash(name, v) for v in vs})
        names = tuple(
            {
                value_hash(name, v): (value_hash(name, v), FACET_NUMBER[name], v)
                for name, vs in facet_values.items()
                for v in vs
            }.values()
        )
        return cls(doc_id(article.id), values, names)
