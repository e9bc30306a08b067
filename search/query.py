"""The query language: a small parser of what users type, compiled to Whoosh query objects.

Grammar (Google-like: adjacent clauses are all required, OR binds tighter than adjacency):

    query   := clause*                      adjacent clauses: all (AND), or any when that finds nothing
    clause  := or ('OR' or)*   ... see _Parser
    unary   := 'NOT' unary | '-' atom | '+' atom | atom
    atom    := '(' query ')' | field ':' value | '"phrase"' | word | word* | word~[n]

Upper-case AND, OR and NOT are operators; lower-case ones are (stop) words. A query
that does not parse is never an error: the caller reads it as plain words instead and
says so. Parsing is pure (an AST); compiling needs the open index (facet values, dates,
the vocabulary for wildcards).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher

from search.analysis import TOKEN_PATTERN, NewsTokenizer
from search.facets import Collection, facet_key
from search.periods import period

TEXT_FIELDS = ("title", "subtitle", "body")
FACET_ALIASES = {"person": "person", "people": "person", "place": "place", "places": "place",
                 "country": "country", "countries": "country", "source": "source", "byline": "source"}
TEXT_ALIASES = {"title": "title", "headline": "title", "subtitle": "subtitle", "body": "body", "text": "body"}
DATE_ALIASES = {"date", "published"}
KNOWN_FIELDS = set(FACET_ALIASES) | set(TEXT_ALIASES) | DATE_ALIASES

MAX_EXPANSION = 256  # words a wildcard or fuzzy term may stand for
MAX_FACET_EXPANSION = 512
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\ufeff]")


class QuerySyntaxError(ValueError):
    """The query is not in the query language; the message says why, for the notice."""


# ---------------------------------------------------------------------------- AST

@dataclass(frozen=True)
class Word:
    text: str
    field: str | None = None  # a text field, or None for title+subtitle+body


@dataclass(frozen=True)
class Phrase:
    text: str
    field: str | None = None


@dataclass(frozen=True)
class Wildcard:
    pattern: str  # with * and ?
    field: str | None = None


@dataclass(frozen=True)
class Fuzzy:
    text: str
    distance: int = 1
    field: str | None = None


@dataclass(frozen=True)
class FacetMatch:
    field: str  # person, place, country, source
    value: str
    exact: bool  # quoted: the whole value; bare: a word of the value
    prefix: bool = False


@dataclass(frozen=True)
class DateRange:
    start: date | None
    end: date | None
    text: str


@dataclass(frozen=True)
class Not:
    node: object


@dataclass(frozen=True)
class Required:
    node: object


@dataclass(frozen=True)
class AllOf:
    nodes: tuple


@dataclass(frozen=True)
class AnyOf:
    nodes: tuple


@dataclass(frozen=True)
class Adjacent:
    """Clauses typed side by side: all required by default, any one as the fallback."""

    nodes: tuple


# ---------------------------------------------------------------------------- lexer

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>"[^"]*"?)
  | (?P<field>[A-Za-z]+):
  | (?P<sign>[-+])(?=[^\s\-+])
  | (?P<word>[^\s()"]+)
""", re.X)


@dataclass
class _Token:
    kind: str
    text: str


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # the word alternative takes any other character
        kind = match.lastgroup
        value = match.group()
        position = match.end()
        if kind == "space":
            continue
        if kind == "phrase" and (len(value) < 2 or not value.endswith('"')):
            raise QuerySyntaxError("a quotation mark is not closed")
        if kind == "field" and value[:-1].lower() not in KNOWN_FIELDS:
            # "10:30", "http://..." or an unknown field: an ordinary word.
            word = _TOKEN.match(text, match.end())
            rest = word.group() if word and word.lastgroup == "word" else ""
            position = match.end() + len(rest)
            tokens.append(_Token("word", value + rest))
            continue
        if kind == "word" and value in ("AND", "OR", "NOT", "&&", "||"):
            kind = {"&&": "AND", "||": "OR"}.get(value, value)
        tokens.append(_Token(kind, value))
    return tokens


# ---------------------------------------------------------------------------- parser

class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> object | None:
        node = self.adjacent()
        if self.peek() is not None:
            raise QuerySyntaxError("a closing parenthesis has no opening one")
        return node

    def adjacent(self) -> object | None:
        nodes = []
        while (token := self.peek()) is not None and token.kind != "rparen":
            nodes.append(self.either())
        if not nodes:
            return None
        return nodes[0] if len(nodes) == 1 else Adjacent(tuple(nodes))

    def either(self) -> object:
        nodes = [self.both()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            nodes.append(self.both())
        return nodes[0] if len(nodes) == 1 else AnyOf(tuple(nodes))

    def both(self) -> object:
        nodes = [self.unary()]
        while (token := self.peek()) is not None and token.kind == "AND":
            self.take()
            nodes.append(self.unary())
        return nodes[0] if len(nodes) == 1 else AllOf(tuple(nodes))

    def unary(self) -> object:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("an operator has nothing after it")
        if token.kind == "NOT":
            self.take()
            return Not(self.unary())
        if token.kind == "sign":
            self.take()
            node = self.atom()
            return Not(node) if token.text == "-" else Required(node)
        return self.atom()

    def atom(self) -> object:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("an operator has nothing after it")
        if token.kind in ("AND", "OR"):
            raise QuerySyntaxError(f"{token.text} has nothing before it")
        if token.kind == "rparen":
            raise QuerySyntaxError("a closing parenthesis has no opening one")
        self.take()
        if token.kind == "lparen":
            self.depth += 1
            if self.depth > 20:
                raise QuerySyntaxError("parentheses are nested too deeply")
            node = self.adjacent()
            closing = self.peek()
            if closing is None or closing.kind != "rparen":
                raise QuerySyntaxError("a parenthesis is not closed")
            self.take()
            self.depth -= 1
            if node is None:
                raise QuerySyntaxError("empty parentheses")
            return node
        if token.kind == "phrase":
            return Phrase(token.text[1:-1])
        if token.kind == "field":
            return self.field_value(token.text[:-1].lower())
        return _word_node(token.text, None)

    def field_value(self, name: str) -> object:
        token = self.peek()
        if token is None or token.kind not in ("phrase", "word"):
            raise QuerySyntaxError(f"{name}: has no value after it")
        self.take()
        if name in DATE_ALIASES:
            return _date_node(token.text if token.kind == "word" else token.text[1:-1], self)
        if name in FACET_ALIASES:
            facet = FACET_ALIASES[name]
            if token.kind == "phrase":
                return FacetMatch(facet, token.text[1:-1], exact=True)
            text = token.text
            if text.endswith("*") and "*" not in text[:-1] and len(text) > 1:
                return FacetMatch(facet, text[:-1], exact=False, prefix=True)
            return FacetMatch(facet, text, exact=False)
        text_field = TEXT_ALIASES[name]
        if token.kind == "phrase":
            return Phrase(token.text[1:-1], text_field)
        return _word_node(token.text, text_field)


_FUZZY = re.compile(r"^(?P<word>.+?)~(?P<distance>[12])?$")


def _word_node(text: str, text_field: str | None) -> object:
    if any(c in text for c in "[]{}"):
        raise QuerySyntaxError("brackets belong to a date range: date:[2023-01-01 TO 2023-07-31]")
    fuzzy = _FUZZY.match(text)
    if fuzzy and "*" not in text and "?" not in text:
        return Fuzzy(fuzzy.group("word"), int(fuzzy.group("distance") or 1), text_field)
    if ("*" in text or "?" in text) and re.search(r"\w", text):
        literal = re.split(r"[*?]", text, maxsplit=1)[0]
        if len(literal) < 2 or not re.fullmatch(r"[\w*?'.-]+", text):
            raise QuerySyntaxError(f"a wildcard needs two letters before * or ? ({text})")
        return Wildcard(text, text_field)
    return Word(text, text_field)


# Dates: 2023, 2023-07, 2023-07-14 (and 2023/07/14); ranges [a TO b], open ends *; >, >=, <, <=.
def _period(text: str) -> tuple[date, date]:
    try:
        return period(text)
    except ValueError as error:
        raise QuerySyntaxError(str(error)) from None


def _date_node(text: str, parser: _Parser) -> DateRange:
    if text.startswith("["):
        # The range was lexed as several words: gather up to the closing bracket.
        parts = [text]
        while "]" not in parts[-1]:
            token = parser.peek()
            if token is None or token.kind != "word":
                raise QuerySyntaxError("a date range has no closing ]")
            parts.append(parser.take().text)
        inner = " ".join(parts)
        match = re.fullmatch(r"\[\s*(\S+)\s+TO\s+(\S+)\s*\]", inner, re.I)
        if not match:
            raise QuerySyntaxError("write a date range as [2023-01-01 TO 2023-07-31]")
        start = None if match.group(1) == "*" else _period(match.group(1))[0]
        end = None if match.group(2) == "*" else _period(match.group(2))[1]
        if start and end and start > end:
            raise QuerySyntaxError(f"the date range {inner} ends before it starts")
        return DateRange(start, end, inner)
    comparison = re.match(r"^(>=|<=|>|<)(.+)$", text)
    if comparison:
        operator, value = comparison.groups()
        first, last = _period(value)
        if operator == ">":
            return DateRange(last + timedelta(days=1), None, text)
        if operator == ">=":
            return DateRange(first, None, text)
        if operator == "<":
            return DateRange(None, first - timedelta(days=1), text)
        return DateRange(None, last, text)
    first, last = _period(text)
    return DateRange(first, last, text)


def parse(text: str) -> object | None:
    """The AST of a query, None when empty; raises QuerySyntaxError."""
    return _Parser(_lex(text)).parse()


def plain_words(text: str) -> object | None:
    """The query read as words only: what a malformed query falls back to."""
    words = re.findall(TOKEN_PATTERN, text)
    nodes = tuple(Word(w) for w in words)
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else Adjacent(nodes)


def clean(text: str) -> str:
    """Control characters out, whitespace collapsed."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", text).split())


# ---------------------------------------------------------------------------- display

def describe(node: object | None) -> str:
    """The query as it was understood, in the query language."""
    if node is None:
        return ""
    match node:
        case Word(text, None):
            return text
        case Word(text, name) | Wildcard(text, name):
            return f"{name}:{text}" if name else text
        case Wildcard(text, None):
            return text
        case Phrase(text, name):
            return f'{name}:"{text}"' if name else f'"{text}"'
        case Fuzzy(text, distance, name):
            suffix = "~" if distance == 1 else f"~{distance}"
            return f"{name}:{text}{suffix}" if name else f"{text}{suffix}"
        case FacetMatch(name, value, exact, prefix):
            return f'{name}:"{value}"' if exact else f"{name}:{value}{'*' if prefix else ''}"
        case DateRange(start, end, _):
            return f"date:[{start.isoformat() if start else '*'} TO {end.isoformat() if end else '*'}]"
        case Not(inner):
            return f"NOT {_grouped(inner)}"
        case Required(inner):
            return f"+{_grouped(inner)}"
        case AllOf(nodes):
            return " AND ".join(_grouped(n) for n in nodes)
        case AnyOf(nodes):
            return " OR ".join(_grouped(n) for n in nodes)
        case Adjacent(nodes):
            return " ".join(_grouped(n) for n in nodes)
    return ""


def _grouped(node: object) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, (AllOf, AnyOf, Adjacent)) else text


# ---------------------------------------------------------------------------- compiling

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
        ids = np.flatnonzero(self.mask[offset:offset + count]).tolist()
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

    def __init__(self, reader, collection: Collection, offsets: dict[int, int],
                 analyzer: NewsTokenizer, fields: tuple[str, ...] = TEXT_FIELDS) -> None:
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
        """Any of the plain clauses; +required, -excluded and filter clauses (person:, date:) still hold."""
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
        anyone = optional[0] if len(optional) == 1 else wq.Or(optional)
        if required:
            # +words must match; the others only rank.
            return wq.AndMaybe(wq.And([*required, *fixed]) if len(required) + len(fixed) > 1
                               else required[0], anyone)
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

    def _positions(self, terms: list[tuple[str, int]], name: str | None, out: Compiled,
                   negated: bool) -> wq.Query:
        words = [t for t, _ in terms]
        # Stop words are not indexed but keep their position: "bank of japan" allows the gap.
        gaps = [b - a for (_, a), (_, b) in zip(terms, terms[1:])]
        slop = max(gaps) if gaps else 1
        if not negated:
            out.highlight.update(words)
        queries = [wq.Phrase(f, words, slop=slop) for f in self._fields(name)]
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def _expanded(self, name: str | None, words: list[str], out: Compiled, negated: bool,
                  what: str) -> wq.Query | None:
        fields = self._fields(name)
        ranked = sorted(set(words), key=lambda w: -max(self.reader.doc_frequency(f, w) for f in fields))
        if len(ranked) > MAX_EXPANSION:
            out.notes.append(f"{what} matches too many words; searched the {MAX_EXPANSION} most common.")
            ranked = ranked[:MAX_EXPANSION]
        if not ranked:
            return wq.NullQuery
        if not negated:
            out.highlight.update(ranked)
        queries = [wq.Or([wq.Term(f, w) for w in ranked]) if len(ranked) > 1 else wq.Term(f, ranked[0])
                   for f in fields]
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def _wildcard(self, pattern: str, name: str | None, out: Compiled, negated: bool) -> wq.Query | None:
        text = pattern.casefold()
        words: list[str] = []
        literal = re.split(r"[*?]", text, maxsplit=1)[0]
        if re.fullmatch(r"[^*?]+\*", text):
            for f in self._fields(name):
                words.extend(w.decode() if isinstance(w, bytes) else w
                             for w in _limited(self.reader.expand_prefix(f, literal), 50_000))
        else:
            regex = re.compile(
                "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text) + r"\Z")
            for f in self._fields(name):
                source = self.reader.expand_prefix(f, literal) if literal else self.reader.lexicon(f)
                words.extend(w for w in (x.decode() if isinstance(x, bytes) else x
                                         for x in _limited(source, 200_000)) if regex.match(w))
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
        column = self.collection.facets[node.field]
        if node.exact:
            value_id = column.value_id(node.value)
            keys = [list(column.keys)[value_id]] if value_id is not None else []
            if not keys:  # a quoted part of a name: person:"Jong Un"
                keys = column.matching_keys(node.value.casefold().split())
        else:
            words = [w for w in re.split(r"[\s_]+", node.value.casefold().replace("-", " ")) if w]
            exact = column.value_id(node.value)
            keys = [list(column.keys)[exact]] if exact is not None and not node.prefix else []
            keys += [k for k in column.matching_keys(words, prefix=node.prefix) if k not in keys]
        if len(keys) > MAX_FACET_EXPANSION:
            out.notes.append(f"{describe(node)} matches too many names; searched the first {MAX_FACET_EXPANSION}.")
            keys = keys[:MAX_FACET_EXPANSION]
        if not keys:
            # No such value: a term that matches nothing, so the query finds nothing.
            return wq.Term(node.field, facet_key(node.value))
        terms = [wq.Term(node.field, k) for k in keys]
        return terms[0] if len(terms) == 1 else wq.Or(terms)


class MatchSets:
    """Which documents a query matches, as a boolean mask, evaluated with numpy.

    Whoosh's matchers visit every posting in Python; here each term's docnums are
    read block by block into an array (and cached per index generation), and
    And/Or/Not become &, |, ~. Positional queries (phrases) still go through Whoosh.
    """

    CACHE_TERMS = 4096

    def __init__(self, searcher, live: np.ndarray) -> None:
        self.searcher = searcher
        self.live = live
        self.size = live.size
        self.leaves = [(leaf.reader(), leaf, offset) for leaf, offset in searcher.leaf_searchers()]
        self._cache: dict[tuple[str, str], np.ndarray] = {}
        # Positional matches (phrases) of the request in progress, which the scorer reuses;
        # the searcher sets and clears it under its lock.
        self.request_memo: dict | None = None

    def term_docnums(self, fieldname: str, text: str) -> np.ndarray:
        key = (fieldname, text)
        found = self._cache.get(key)
        if found is not None:
            return found
        parts = []
        for reader, _, offset in self.leaves:
            if (fieldname, text) not in reader:
                continue
            matcher = reader.postings(fieldname, text)
            while hasattr(matcher, "child"):  # deletions wrap the postings; `live` handles them
                matcher = matcher.child
            if not hasattr(matcher, "_read_ids"):
                parts.append(np.fromiter(matcher.all_ids(), dtype=np.int64) + offset)
                continue
            while matcher.is_active():
                matcher._read_ids()
                parts.append(np.asarray(matcher._ids, dtype=np.int64) + offset)
                matcher._next_block()
        found = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        if len(self._cache) >= self.CACHE_TERMS:
            self._cache.clear()
        self._cache[key] = found
        return found

    def mask(self, q: wq.Query) -> np.ndarray:
        return self._mask(q) & self.live

    def _mask(self, q: wq.Query) -> np.ndarray:
        if isinstance(q, wq.Term):
            mask = np.zeros(self.size, dtype=bool)
            mask[self.term_docnums(q.fieldname, q.text)] = True
            return mask
        if isinstance(q, DocnumsQuery):
            return q.mask.copy()
        if isinstance(q, wq.Not):
            return ~self._mask(q.query)
        if isinstance(q, wq.Every):
            return self.live.copy()
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return np.zeros(self.size, dtype=bool)
        if isinstance(q, wq.AndMaybe):
            return self._mask(q.a)
        if isinstance(q, wq.AndNot):
            return self._mask(q.a) & ~self._mask(q.b)
        if isinstance(q, wq.And):
            mask = self._mask(q.subqueries[0])
            for sub in q.subqueries[1:]:
                mask &= self._mask(sub)
            return mask
        if isinstance(q, wq.Or) and not isinstance(q, wq.DisjunctionMax):
            mask = np.zeros(self.size, dtype=bool)
            for sub in q.subqueries:
                mask |= self._mask(sub)
            return mask
        return self._whoosh_mask(q)

    def _whoosh_mask(self, q: wq.Query) -> np.ndarray:
        memo = self.request_memo
        if memo is not None:
            found = memo.get(q)
            if found is None:
                found = memo[q] = self._whoosh_matches(q)
            return found.copy()
        return self._whoosh_matches(q)

    def _whoosh_matches(self, q: wq.Query) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        context = self.searcher.boolean_context()
        for _, leaf, offset in self.leaves:
            matcher = q.matcher(leaf, context)
            if matcher.is_active():
                ids = np.fromiter(matcher.all_ids(), dtype=np.int64)
                mask[ids + offset] = True
        return mask


def _limited(iterable, limit: int):
    for n, item in enumerate(iterable):
        if n >= limit:
            break
        yield item


def is_fixed(node: object) -> bool:
    """A clause the any-word reading keeps as it is: +required, -excluded, or a filter (person:, date:)."""
    return isinstance(node, (Not, Required, FacetMatch, DateRange))


def has_fallback(node: object | None) -> bool:
    """Whether reading the top level's words as alternatives can find more than requiring them all."""
    if not isinstance(node, Adjacent):
        return False
    optional = sum(1 for n in node.nodes if not is_fixed(n))
    return optional >= 2 or (optional == 1 and any(isinstance(n, Required) for n in node.nodes))


def positive_words(node: object | None) -> list[Word]:
    """Plain words not under NOT: what spelling suggestions may correct."""
    found: list[Word] = []

    def walk(n: object) -> None:
        match n:
            case Word():
                found.append(n)
            case Required(inner):
                walk(inner)
            case AllOf(nodes) | AnyOf(nodes) | Adjacent(nodes):
                for child in nodes:
                    walk(child)

    if node is not None:
        walk(node)
    return found
