"""The query language: a small parser of what users type, into an AST.

Grammar (Google-like: adjacent clauses are all required, OR binds tighter than adjacency):

    query   := clause*                      adjacent clauses: all (AND), or any when that finds nothing
    clause  := or ('OR' or)*   ... see _Parser
    unary   := 'NOT' unary | '-' atom | '+' atom | atom
    atom    := '(' query ')' | field ':' value | '"phrase"' | word | word* | word~[n]

Upper-case AND, OR and NOT are operators; lower-case ones are (stop) words. A query
that does not parse is never an error: the caller reads it as plain words instead and
says so. Parsing is pure (an AST); search.query.compile compiles it against the open
index (facet values, dates, the vocabulary for wildcards).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from search.analysis import TOKEN_PATTERN
from search.facet_registry import QUERY_FIELDS
from search.periods import period

FACET_ALIASES = QUERY_FIELDS  # person:, people:, place:, ... (search.facet_registry)
TEXT_ALIASES = {
    "title": "title",
    "headline": "title",
    "subtitle": "subtitle",
    "body": "body",
    "text": "body",
    "byline": "byline",
    "author": "byline",
}
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

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<phrase>"[^"]*"?)
  | (?P<field>[A-Za-z]+):
  | (?P<sign>[-+])(?=[^\s\-+])
  | (?P<word>[^\s()"]+)
""",
    re.X,
)


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
        kind = match.lastgroup or "word"
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
                if not token.text[1:-1].strip():
                    raise QuerySyntaxError(f'{name}:"" names no {facet}')
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


def query_text(raw: str, longest: int) -> tuple[str, list[str]]:
    """What is searched of a typed query, and notices for what was left out: control characters,
    and words past `longest` characters (cut at a space where one is near). Every engine reads a
    query this way."""
    notices = []
    text = clean(raw[: longest * 4])
    if clean(raw) != raw.strip() and any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in raw if c not in "\t\n\r"):
        notices.append("Control characters in the query were ignored.")
    if len(text) > longest:
        cut = text.rfind(" ", 0, longest + 1)
        text = text[: cut if cut > longest // 2 else longest]
        notices.append(f"The query was longer than {longest} characters; only its start was searched.")
    return text, notices


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
