"""Typed requests and results of a search: the shape `dateline search --json` and /api/search share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Literal

from search.article import Place
from search.facet_registry import FACET_NAMES
from search.settings import Limits

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
FILTER_FACETS = FACET_NAMES  # search.facet_registry


MAX_CURSOR_LENGTH = 1000


class BadRequest(ValueError):
    """A request parameter that cannot be honoured; the message is shown to the user as is."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class Filters(Mapping[str, tuple[str, ...]]):
    """Selected facet values, facet name -> values: immutable and hashable (a request is a cache
    key), normalised so that equal selections are equal: registry order, values as tuples in the
    order given, facets without values left out. A name not in the registry is a BadRequest."""

    __slots__ = ("_items",)

    def __init__(self, selected: Mapping[str, tuple[str, ...]] | None = None) -> None:
        given = dict(selected or {})
        for name, values in given.items():
            if name not in FILTER_FACETS:
                raise BadRequest(f"unknown facet {name!r}; the facets are {', '.join(FILTER_FACETS)}", name)
            if not isinstance(values, (tuple, list)) or not all(isinstance(v, str) for v in values):
                raise BadRequest(f"{name} must be a sequence of text values, got {values!r}", name)
        self._items: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
            (name, tuple(given[name])) for name in FILTER_FACETS if given.get(name)
        )

    def __getitem__(self, name: str) -> tuple[str, ...]:
        for key, values in self._items:
            if key == name:
                return values
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Filters):
            return self._items == other._items
        return super().__eq__(other)  # a plain dict of the same selection is equal too

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Filters({dict(self._items)!r})"


@dataclass(frozen=True)
class SearchRequest:
    """One search: what the engine needs, validated by validate().

    Facet filters live in one field for every facet of search.facet_registry.FACETS, so a new
    facet needs no field here:
        SearchRequest(q="oil", filters={"country": ("Kuwait",), "person": ("Reagan",)})
        request.selected("country") -> ("Kuwait",)   (() when none; an unknown facet raises KeyError)
    `filters` may be given as any mapping of facet name -> tuple of values; it is stored as a
    hashable Filters (registry order, empty facets dropped), so equal searches compare and hash
    equal. An unknown facet name is a BadRequest naming it.
    """

    q: str = ""
    # Selected facet values: values of one facet are ORed, facets are ANDed.
    filters: Mapping[str, tuple[str, ...]] = Filters()
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    undated: bool = False  # only articles without a publication date
    sort: Sort = "relevance"
    page: int = 1
    page_size: int = Limits().default_page_size
    facet_limit: int = 10  # top values per facet; 0 = all values
    # One facet listed at length (up to Limits.expanded_facet_values values), those containing facet_q
    # (any case) when it is given: a filter box over 7,000 names instead of a page of all of them.
    expand: str | None = None
    facet_q: str = ""
    snippets: bool = True
    collapse: bool = True  # one article per group of wire copies (search.index.duplicates)
    cursor: str | None = None  # continue after this hit (search.cursor): deep paging instead of `page`

    def __post_init__(self) -> None:
        if not isinstance(self.filters, Filters):
            object.__setattr__(self, "filters", Filters(self.filters))

    def selected(self, facet: str) -> tuple[str, ...]:
        """The selected values of `facet` (a name in FACETS), () when none are."""
        if facet not in FILTER_FACETS:
            raise KeyError(f"unknown facet {facet!r}; the facets are {', '.join(FILTER_FACETS)}")
        return self.filters.get(facet, ())

    def validate(self, limits: Limits | None = None) -> None:
        """BadRequest (naming the field) for a request that means nothing and, given `limits`, for
        one beyond them. Front ends pass their limits: a program asking for page_size=100000 learns
        the cap from the error instead of getting fewer results than it thinks it asked for. The
        searcher passes none and clamps to the same limits instead, with a notice."""
        if not isinstance(self.q, str):
            raise BadRequest("q must be text", "q")
        _check_whole("page", self.page, 1, limits.max_page if limits else None)
        _check_whole("page_size", self.page_size, 1, limits.max_page_size if limits else None)
        _check_whole("facet_limit", self.facet_limit, 0, limits.max_facet_limit if limits else None)
        if not isinstance(self.collapse, bool):
            raise BadRequest("collapse must be on or off", "collapse")
        if self.cursor is not None:
            if not isinstance(self.cursor, str) or not self.cursor or len(self.cursor) > MAX_CURSOR_LENGTH:
                raise BadRequest("cursor is malformed: pass back a next_cursor unchanged", "cursor")
            if self.page != 1:
                raise BadRequest("give page or cursor, not both", "cursor")
        if self.sort not in SORTS:
            raise BadRequest(f"sort must be one of {', '.join(SORTS)}, got {self.sort!r}", "sort")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            # Named as the web and the CLI name them (from, --from): what the user typed.
            raise BadRequest(
                f"from ({self.date_from.isoformat()}) is after to ({self.date_to.isoformat()})", "date_from"
            )
        if self.expand is not None and self.expand not in FILTER_FACETS:
            raise BadRequest(f"expand must be one of {', '.join(FILTER_FACETS)}, got {self.expand!r}", "expand")
        if not isinstance(self.facet_q, str) or "\x00" in self.facet_q:
            raise BadRequest("facet_q must be text without NUL characters", "facet_q")
        if self.facet_q and self.expand is None:
            raise BadRequest("facet_q filters the values of one facet: give expand (the facet) too", "facet_q")
        if len(self.facet_q) > Limits().max_facet_value_length:
            raise BadRequest(
                f"facet_q is {len(self.facet_q)} characters long; the limit is {Limits().max_facet_value_length}",
                "facet_q",
            )
        if self.undated is not False and self.undated is not True:
            raise BadRequest(f"undated must be true or false, got {self.undated!r}", "undated")
        if self.undated and (self.date_from or self.date_to):
            raise BadRequest("undated (articles without a date) cannot be combined with from or to", "undated")
        if limits is None:
            return
        if "\x00" in self.q:
            raise BadRequest("q must not contain NUL characters", "q")
        if len(self.q) > limits.max_query_length:
            raise BadRequest(f"q is {len(self.q)} characters long; the limit is {limits.max_query_length}", "q")
        for name, values in self.filters.items():
            if len(values) > limits.max_facet_values:
                raise BadRequest(f"{name} was given {len(values)} values; the limit is {limits.max_facet_values}", name)
            for value in values:
                if "\x00" in value:
                    raise BadRequest(f"{name} must not contain NUL characters", name)
                if len(value) > limits.max_facet_value_length:
                    raise BadRequest(
                        f"{name} value is too long (limit {limits.max_facet_value_length} characters)", name
                    )

    def selections(self) -> dict[str, tuple[str, ...]]:
        """The facets with selected values, in registry order."""
        return dict(self.filters)


def _check_whole(name: str, value: object, minimum: int, maximum: int | None) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRequest(f"{name} must be a whole number, got {value!r}", name)
    if maximum is not None and not minimum <= value <= maximum:
        raise BadRequest(f"{name} must be between {minimum} and {maximum}, got {value}", name)
    if value < minimum:
        raise BadRequest(f"{name} must be a whole number from {minimum}, got {value}", name)


@dataclass(frozen=True)
class Version:
    """Another article of the same group of wire copies, listed with a hit or an article."""

    id: str
    title: str
    source: str
    published: str | None


@dataclass(frozen=True)
class Hit:
    id: str
    title: str  # plain text
    title_html: str  # HTML-escaped, matched words in <mark>
    snippets: list[str]  # HTML-escaped fragments, matched words in <mark>
    published: str | None  # ISO 8601 with offset
    source: str
    people: list[str]
    places: list[Place]
    url: str | None
    score: float | None
    updated: str | None = None  # ISO 8601, when the article says it was updated
    indexed: str | None = None  # ISO 8601 UTC, when it was indexed
    other_versions: int = 0  # other articles of its group of wire copies in the result set
    versions: list[Version] = field(default_factory=list)  # the first of them, newest first


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


def visible_values(values: list[FacetValue], limit: int) -> list[FacetValue]:
    """The first `limit` values (0: all) and every selected value after them: a selected value
    always stays visible, so that it can be unticked. The one place this rule lives."""
    if limit <= 0:
        return list(values)
    return values[:limit] + [v for v in values[limit:] if v.selected]


@dataclass(frozen=True)
class DateBucket:
    start: str  # ISO date, inclusive
    end: str  # ISO date, inclusive
    label: str  # "1987", "Mar 1987", "26 Feb 1987"
    count: int


@dataclass(frozen=True)
class DateHistogram:
    unit: Literal["year", "month", "day"]
    buckets: list[DateBucket]
    before: int = 0  # dated matches before the first bucket (outliers left out of the bars)
    after: int = 0  # and after the last one
    undated: int = 0  # matches without a publication date (never in a bucket)


@dataclass(frozen=True)
class SearchResult:
    query: str
    interpreted_as: str | None  # set when the query was read differently from how it was typed
    notice: str | None  # e.g. "Could not parse the query; searched for the words instead."
    total: int
    page: int
    page_size: int
    pages: int
    sort: str
    results: list[Hit]
    facets: dict[str, list[FacetValue]]
    dates: DateHistogram
    suggestion: str | None  # "did you mean"
    # Values with a count per facet (for the expanded facet, those containing facet_q): how many
    # there are beyond the ones listed.
    facet_totals: dict[str, int] = field(default_factory=dict)
    groups: int = 0  # groups of wire copies in the result set (an article without copies is one)
    collapse: bool = True  # whether the result list shows one article per group
    next_cursor: str | None = None  # the cursor of the next page; None on the last one
    took_ms: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def listed(self) -> int:
        """Entries of the result list, which paging and hit positions count: groups of wire copies
        when collapsed, else articles (an engine that does not group gives no groups: articles)."""
        return self.groups if self.collapse and self.groups else self.total


@dataclass(frozen=True)
class ArticleView:
    """One indexed article, whole, for the article page and /api/articles/<id>."""

    id: str
    title: str
    subtitle: str
    source: str  # the outlet or agency
    byline: str  # the author(s)
    topic: str  # the topics, joined by ", "
    topics: list[str]  # the topic facet's values
    published: str | None  # ISO 8601 with offset
    updated: str | None
    body: list[str]  # paragraphs, plain text (escape when rendering)
    language: str
    url: str | None
    origin: str
    people: list[str]
    places: list[Place]
    countries: list[str]
    versions: list[Version] = field(default_factory=list)  # its group of wire copies, newest first

    def to_dict(self) -> dict:
        return asdict(self)
