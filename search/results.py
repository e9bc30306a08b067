"""Typed requests and results of a search: the shape `dateline search --json` and /api/search share."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Literal

from search.article import Place

Sort = Literal["relevance", "newest", "oldest"]
SORTS: tuple[str, ...] = ("relevance", "newest", "oldest")
FILTER_FACETS: tuple[str, ...] = ("person", "place", "country", "source")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 10
MAX_QUERY_LENGTH = 1000


class BadRequest(ValueError):
    """A request parameter that cannot be honoured; the message is shown to the user as is."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    # Selected facet values: values of one facet are ORed, facets are ANDed.
    person: tuple[str, ...] = ()
    place: tuple[str, ...] = ()
    country: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    sort: Sort = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    facet_limit: int = 10  # top values per facet; 0 = all values
    snippets: bool = True

    def selections(self) -> dict[str, tuple[str, ...]]:
        return {name: getattr(self, name) for name in FILTER_FACETS if getattr(self, name)}


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


@dataclass(frozen=True)
class FacetValue:
    value: str
    count: int
    selected: bool


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
    took_ms: float = 0.0
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ArticleView:
    """One indexed article, whole, for the article page and /api/articles/<id>."""

    id: str
    title: str
    subtitle: str
    source: str
    published: str | None  # ISO 8601 with offset
    updated: str | None
    body: list[str]  # paragraphs, plain text (escape when rendering)
    language: str
    url: str | None
    origin: str
    people: list[str]
    places: list[Place]
    countries: list[str]

    def to_dict(self) -> dict:
        return asdict(self)
