"""Compiling a parsed query (search.query.parse) against an open index: Whoosh query objects for
ranking, and numpy match sets over every document for counting and filtering.

Parsing is pure; this half needs the index (the vocabulary for wildcards and fuzzy words,
facet values, publication days), so it lives apart from the grammar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher

from search.analysis import NewsTokenizer
from search.entities.places import alias_notice, canonical_value
from search.facet_registry import FACETS
from search.index.columns import Collection, facet_key
from search.index.schema import TEXT_FIELDS
from search.query.natural import natural_query
from search.query.parse import (
    MAX_EXPANSION,
    MAX_FACET_EXPANSION,
    Adjacent,
    AllOf,
    AnyOf,
    DateRange,
    FacetMatch,
    Fuzzy,
    Not,
    Phrase,
    Required,
    Wildcard,
    Word,
    describe,
)

FACET_NORMALISERS = {facet.field: facet.normalise for facet in FACETS}


class DocnumsQuery(wq.Query):
    """Matches the documents of a boolean mask over top-level docnums (dates in the query)."""

    def __init__(self, mask: np.ndarray, offsets: dict[int, int], label: str = "docs") -> None:
        self.mask = mask
        self.offsets = offsets  # id(leaf searcher) -> docnum offset
        self.label = label
        self.boost = 1.0

    def __unicode__(self) -> str:
        return self.label

    __str__ = __unicode__

    def __repr__(self) -> str:
        return f"DocnumsQuery({self.label!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DocnumsQuery) and other.label == self.label and other.mask is self.mask

    def __hash__(self) -> int:
        return hash(("DocnumsQuery", self.label))

    def estimate_size(self, ixreader) -> int:
        return int(self.mask.sum())

    def matcher(self, searcher, context=None):
        offset = self.offsets.get(id(searcher), 0)
        count = searcher.doc_count_all()
        ids = np.flatnonzero(self.mask[offset : offset + count]).tolist()
        if not ids:
            return NullMatcher()
        return ListMatcher(ids, all_weights=0.0)


@dataclass
class Compiled:
    query: wq.Query | None  # None: nothing searchable (only common words)
    highlight: set[str] = field(default_factory=set)  # index terms to mark in text fields
    notes: list[str] = field(default_factory=list)
    described: str | None = None


class Compiler:
    """Turns an AST into Whoosh queries over one open index."""

    def __init__(
        self,
        reader,
        collection: Collection,
        offsets: dict[int, int],
        analyzer: NewsTokenizer,
        fields: tuple[str, ...] = TEXT_FIELDS,
    ) -> None:
        self.reader = reader
        self.collection = collection
        self.offsets = offsets
        self.analyzer = analyzer
        self.fields = fields

    def compile(self, node: object | None, any_word: bool = False) -> Compiled:
        """`any_word` reads the top level's adjacent clauses as OR (the fallback)."""
        result = Compiled(None)
        if node is None:
            return result
        result.query = self._node(node, result, top_any=any_word, negated=False)
        return result

    # Each method returns a Whoosh query, or None when the node has no searchable terms.

    def _node(self, node: object, out: Compiled, negated: bool, top_any: bool = False) -> wq.Query | None:
        match node:
            case Word(text, name):
                return self._word(text, name, out, negated)
            case Phrase(text, name):
                return self._phrase(text, name, out, negated)
            case Wildcard(pattern, name):
                return self._wildcard(pattern, name, out, negated)
            case Fuzzy(text, distance, name):
                return self._fuzzy(text, distance, name, out, negated)
            case FacetMatch():
                return self._facet(node, out)
            case DateRange(start, end, text):
                return DocnumsQuery(self.collection.day_mask(start, end), self.offsets, f"date:{text}")
            case Not(inner):
                sub = self._node(inner, out, negated=not negated)
                return None if sub is None else wq.Not(sub)
            case Required(inner):
                return self._node(inner, out, negated)
            case AllOf(nodes):
                return self._combine(nodes, out, negated, any_of=False)
            case AnyOf(nodes):
                return self._combine(nodes, out, negated, any_of=True)
            case Adjacent(nodes):
                if top_any:
                    return self._fallback(nodes, out)
                return self._combine(nodes, out, negated, any_of=False)
        raise TypeError(f"unknown query node {node!r}")

    def _combine(self, nodes, out: Compiled, negated: bool, any_of: bool) -> wq.Query | None:
        subs = [q for q in (self._node(n, out, negated) for n in nodes) if q is not None]
        positive = [q for q in subs if not isinstance(q, wq.Not)]
        if not subs:
            return None
        if any_of:
            return subs[0] if len(subs) == 1 else wq.Or(subs)
        if not positive:
            # Only exclusions (-word): everything except them.
            return wq.And([wq.Every(), *subs])
        return subs[0] if len(subs) == 1 else wq.And(subs)

    def _fallback(self, nodes, out: Compiled) -> wq.Query | None:
        """Any of the plain clauses; +required, -excluded and filter clauses (person:, date:) still hold.
        Plain words only: ranking's tuned any-words query (the one any-word reading there is)."""
        optional, required, fixed = [], [], []
        for n in nodes:
            sub = self._node(n, out, negated=False)
            if sub is None:
                continue
            if isinstance(n, (Not, FacetMatch, DateRange)):
                fixed.append(sub)
            elif isinstance(n, Required):
                required.append(sub)
            else:
                optional.append(sub)
        if not optional:
            parts = required + fixed
            if not required:
                parts = [wq.Every(), *parts]
            return wq.And(parts) if len(parts) > 1 else (parts[0] if parts else None)
        if all(isinstance(n, Word) and n.field is None for n in nodes):
            return natural_query(" ".join(n.text for n in nodes), schema=self.reader.schema)
        anyone = optional[0] if len(optional) == 1 else wq.Or(optional)
        if required:
            # +words must match; the others only rank.
            return wq.AndMaybe(wq.And([*required, *fixed]) if len(required) + len(fixed) > 1 else required[0], anyone)
        return wq.And([anyone, *fixed]) if fixed else anyone

    def _terms(self, text: str) -> list[tuple[str, int]]:
        return [(t.text, t.pos) for t in self.analyzer(text, positions=True)]

    def _fields(self, name: str | None) -> tuple[str, ...]:
        return (name,) if name else self.fields

    def _word(self, text: str, name: str | None, out: Compiled, negated: bool) -> wq.Query | None:
        terms = self._terms(text)
        if not terms:
            return None
        if len(terms) > 1:  # "U.S.-based", "covid-19": the parts in sequence
            return self._positions(terms, name, out, negated)
        term = terms[0][0]
        if not negated:
            out.highlight.add(term)
        queries = [wq.Term(f, term) for f in self._fields(name)]
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def _phrase(self, text: str, name: str | None, out: Compiled, negated: bool) -> wq.Query | None:
        terms = self._terms(text)
        if not terms:
            return None
        if len(terms) == 1:
            return self._word(text, name, out, negated)
        return self._positions(terms, name, out, negated)

    def _positions(self, terms: list[tuple[str, int]], name: str | None, out: Compiled, negated: bool) -> wq.Query:
        words = [t for t, _ in terms]
        # Stop words are not indexed but keep their position: "bank of japan" allows the gap.
        gaps = [b - a for (_, a), (_, b) in zip(terms, terms[1:])]
        slop = max(gaps) if gaps else 1
        if not negated:
            out.highlight.update(words)
        queries = [wq.Phrase(f, words, slop=slop) for f in self._fields(name)]
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def _expanded(self, name: str | None, words: list[str], out: Compiled, negated: bool, what: str) -> wq.Query | None:
        fields = self._fields(name)
        ranked = sorted(set(words), key=lambda w: -max(self.reader.doc_frequency(f, w) for f in fields))
        if len(ranked) > MAX_EXPANSION:
            out.notes.append(f"{what} matches too many words; searched the {MAX_EXPANSION} most common.")
            ranked = ranked[:MAX_EXPANSION]
        if not ranked:
            return wq.NullQuery
        if not negated:
            out.highlight.update(ranked)
        queries = [wq.Or([wq.Term(f, w) for w in ranked]) if len(ranked) > 1 else wq.Term(f, ranked[0]) for f in fields]
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def _wildcard(self, pattern: str, name: str | None, out: Compiled, negated: bool) -> wq.Query | None:
        text = pattern.casefold()
        words: list[str] = []
        literal = re.split(r"[*?]", text, maxsplit=1)[0]
        if re.fullmatch(r"[^*?]+\*", text):
            for f in self._fields(name):
                words.extend(
                    w.decode() if isinstance(w, bytes) else w
                    for w in _limited(self.reader.expand_prefix(f, literal), 50_000)
                )
        else:
            regex = re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text) + r"\Z")
            for f in self._fields(name):
                source = self.reader.expand_prefix(f, literal) if literal else self.reader.lexicon(f)
                words.extend(
                    w
                    for w in (x.decode() if isinstance(x, bytes) else x for x in _limited(source, 200_000))
                    if regex.match(w)
                )
        return self._expanded(name, words, out, negated, pattern)

    def _fuzzy(self, text: str, distance: int, name: str | None, out: Compiled, negated: bool) -> wq.Query | None:
        terms = self._terms(text)
        if not terms:
            return None
        stem = terms[0][0]
        words = [stem]
        for f in self._fields(name):
            words.extend(_limited(self.reader.terms_within(f, stem, distance, prefix=1), 5_000))
        return self._expanded(name, words, out, negated, f"{text}~")

    def _facet(self, node: FacetMatch, out: Compiled) -> wq.Query:
        canonical = canonical_value(node.field, node.value) if not node.prefix else None
        if canonical is not None:
            # Another spelling of a place or country: the canonical value, and the spelling as
            # typed too, for an index built before the name was made canonical.
            out.notes.append(alias_notice(node.field, node.value, canonical))
            keys = self._facet_keys(FacetMatch(node.field, canonical, exact=True))
            keys += [k for k in self._facet_keys(node) if k not in keys]
        else:
            keys = self._facet_keys(node)
        if len(keys) > MAX_FACET_EXPANSION:
            out.notes.append(f"{describe(node)} matches too many names; searched the first {MAX_FACET_EXPANSION}.")
            keys = keys[:MAX_FACET_EXPANSION]
        if not keys:
            # No such value: a term that matches nothing, so the query finds nothing.
            return wq.Term(node.field, facet_key(node.value))
        column = self.collection.facets[node.field]
        if column.mapped:
            # A column with a name map (people): the index holds each article's own forms, the
            # column the canonical values, so the column's arrays say which articles match.
            ids = [column.keys[k] for k in keys]
            return DocnumsQuery(column.docs_with(ids, self.collection.size), self.offsets, describe(node))
        terms = [wq.Term(node.field, k) for k in keys]
        return terms[0] if len(terms) == 1 else wq.Or(terms)

    def _facet_keys(self, node: FacetMatch) -> list[str]:
        column = self.collection.facets[node.field]
        value = FACET_NORMALISERS[node.field](node.value) or node.value  # as indexed: topic:sports -> Sport
        if node.exact:
            value_id = column.value_id(value)
            keys = [list(column.keys)[value_id]] if value_id is not None else []
            if not keys:  # a quoted part of a name: person:"Jong Un"
                keys = column.matching_keys(value.casefold().split())
        else:
            words = [w for w in re.split(r"[\s_]+", value.casefold().replace("-", " ")) if w]
            exact = column.value_id(value)
            keys = [list(column.keys)[exact]] if exact is not None and not node.prefix else []
            keys += [k for k in column.matching_keys(words, prefix=node.prefix) if k not in keys]
        return keys


def _limited(iterable, limit: int):
    for n, item in enumerate(iterable):
        if n >= limit:
            break
        yield item
