"""The query language (search.query.parse) compiled to SphinxQL: MATCH() text plus attribute filters.

Words and phrases are analyzed by Dateline's analyzer and searched as the tokens the cluster
indexed (search.cluster.documents); person:/place:/country:/source: become `f<hash>` words of the
`facets` field, so they compose with words under AND, OR and NOT. What MATCH() cannot say is a
BadRequest with a message: fuzzy words, wildcards other than a trailing *, a date: range under OR
or NOT, and an OR with an excluded branch.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from search.analysis import NewsTokenizer
from search.cluster.documents import EVERY_WORD, facet_word
from search.cluster.spec import GAP_TOKEN
from search.index.columns import day_number
from search.query.parse import (
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
from search.results import BadRequest

TEXT = "@(title,subtitle,body)"
EVERYTHING = f"(@every {EVERY_WORD})"
# Characters a token may hold in MATCH(): not the query syntax's operators (nor space), and within the
# charset_table (search.cluster.spec); Dateline's tokens always are (letters, marks, digits, _ and ').
SAFE_TOKEN = re.compile(r"^[^\s!\"#$%&()*+,\-./:;<=>?@\[\\\]^`{|}~\x00-\x1f\U00030000-\U0010ffff]+$")


@dataclass
class CompiledMatch:
    match: str | None  # MATCH() text; None: no words (filters only, or nothing searchable)
    days: tuple[int | None, int | None] | None = None  # a top-level date: range, as day numbers
    highlight: set[str] = field(default_factory=set)
    searchable: bool = True  # False: the query had words but all were stop words


def _refuse(node: object, why: str) -> BadRequest:
    return BadRequest(f"{describe(node)}: {why} cannot be searched on the search cluster", "q")


# (facet field, words of a name, last word a prefix) -> the hashes of the names that contain them
NameLookup = Callable[[str, list[str], bool], list[int]]
# (facet field, a whole value as typed) -> the hash of the value it is (an alias: the value it shows
# as), or None when the generation has no such value
ValueLookup = Callable[[str, str], int | None]


class MatchCompiler:
    def __init__(self, analyzer: NewsTokenizer, names: NameLookup, value: ValueLookup | None = None) -> None:
        self.analyzer = analyzer
        self.names = names
        self.value = value

    def compile(self, node: object | None, any_word: bool = False) -> CompiledMatch:
        out = CompiledMatch(None)
        if node is None:
            return out
        clauses = list(node.nodes) if isinstance(node, (Adjacent, AllOf)) else [node]
        text_clauses: list[object] = []
        for clause in clauses:
            if isinstance(clause, DateRange):
                out.days = _intersect(out.days, clause.start, clause.end)
            else:
                text_clauses.append(clause)
        if not text_clauses:
            return out
        if any_word and isinstance(node, Adjacent):
            out.match = self._any_word(text_clauses, out)
        else:
            parts = [p for p in (self._node(c, out, negated=False) for c in text_clauses) if p is not None]
            out.match = self._and(parts)
        if out.match is None:
            out.searchable = False
        return out

    def _and(self, parts: list[str]) -> str | None:
        if not parts:
            return None
        if all(p.startswith("-") for p in parts):
            parts = [EVERYTHING, *parts]  # only exclusions: everything but them
        return parts[0] if len(parts) == 1 else "(" + " ".join(parts) + ")"

    def _any_word(self, clauses: list[object], out: CompiledMatch) -> str | None:
        """The fallback reading of words typed side by side: any of the plain clauses; +required,
        -excluded and person:/place: clauses still hold (the others only rank, as MAYBE)."""
        fixed: list[str] = []
        optional: list[str] = []
        for clause in clauses:
            part = self._node(clause, out, negated=False)
            if part is None:
                continue
            (fixed if isinstance(clause, (Required, Not, FacetMatch)) else optional).append(part)
        anyone = "(" + " | ".join(optional) + ")" if len(optional) > 1 else (optional[0] if optional else None)
        if not [p for p in fixed if not p.startswith("-")]:
            return self._and([p for p in (anyone, *fixed) if p is not None])
        required = self._and(fixed)
        return f"({required} MAYBE {anyone})" if anyone else required

    def _node(self, node: object, out: CompiledMatch, negated: bool) -> str | None:
        match node:
            case Word(text, name):
                return self._words(text, name, out, negated)
            case Phrase(text, name):
                return self._words(text, name, out, negated)
            case Wildcard(pattern, name):
                literal = pattern[:-1].casefold()
                if not pattern.endswith("*") or "*" in literal or "?" in literal or not SAFE_TOKEN.match(literal):
                    raise _refuse(node, "a wildcard other than a trailing *")
                if not negated:
                    out.highlight.add(literal)  # marks nothing unless a word is exactly it; the hits show
                return f"({_fields(name)} {literal}*)"
            case Fuzzy():
                raise _refuse(node, "a fuzzy word (~)")
            case FacetMatch():
                return self._facet(node)
            case DateRange():
                raise _refuse(node, "a date: range under OR or NOT (use the from and to filters)")
            case Not(inner):
                sub = self._node(inner, out, negated=not negated)
                return None if sub is None else f"-{sub}"
            case Required(inner):
                return self._node(inner, out, negated)
            case AllOf(nodes) | Adjacent(nodes):
                return self._and([p for p in (self._node(n, out, negated) for n in nodes) if p is not None])
            case AnyOf(nodes):
                parts = [p for p in (self._node(n, out, negated) for n in nodes) if p is not None]
                if any(p.startswith("-") for p in parts):
                    raise _refuse(node, "OR with an excluded branch")
                return None if not parts else parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"
        raise TypeError(f"unknown query node {node!r}")

    def _words(self, text: str, name: str | None, out: CompiledMatch, negated: bool) -> str | None:
        terms = [(t.text, t.pos) for t in self.analyzer(text, positions=True)]
        terms = [(t, p) for t, p in terms if SAFE_TOKEN.match(t) and t != GAP_TOKEN]
        if not terms:
            return None
        if not negated:
            out.highlight.update(t for t, _ in terms)
        if len(terms) == 1:
            return f"({_fields(name)} {terms[0][0]})"
        words: list[str] = []
        first = terms[0][1]
        for term, position in terms:
            words.extend([GAP_TOKEN] * (position - first - len(words)))
            words.append(term)
        return f'({_fields(name)} "{" ".join(words)}")'

    def _facet(self, node: FacetMatch) -> str:
        words = [w for w in re.split(r"[^\w']+", node.value.casefold()) if w]
        whole = self.value(node.field, node.value) if self.value is not None and not node.prefix else None
        if node.exact:
            if self.value is None:
                return f"(@facets {facet_word(node.field, node.value)})"
            # The value (or the one an alias shows as); else a quoted part of a name: person:"Jong Un".
            found = [whole] if whole is not None else self.names(node.field, words, False) if words else []
        else:
            # Words of a name (person:obama): the names that contain them, from the names index.
            found = [whole] if whole is not None else []
            found += [h for h in (self.names(node.field, words, node.prefix) if words else []) if h != whole]
        if not found:
            return f"(@facets {facet_word(node.field, node.value)})"  # no such name: matches nothing
        if len(found) > MAX_FACET_EXPANSION:
            raise BadRequest(f"{describe(node)} matches more than {MAX_FACET_EXPANSION} names; be more precise", "q")
        return "(@facets " + " | ".join(f"f{h:016x}" for h in found) + ")"


def _fields(name: str | None) -> str:
    return f"@{name}" if name else TEXT


def _intersect(
    days: tuple[int | None, int | None] | None, start: date | None, end: date | None
) -> tuple[int | None, int | None]:
    low, high = days if days else (None, None)
    if start is not None:
        low = max(low, day_number(start)) if low is not None else day_number(start)
    if end is not None:
        high = min(high, day_number(end)) if high is not None else day_number(end)
    return low, high
