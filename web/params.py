"""GET parameters <-> SearchRequest: parsing with 400s that name the parameter, and URLs that keep state.

The whole state of a search lives in the query string, so a search can be shared and the
back button works: q, person, place, country, source (repeatable), from, to, sort, page,
size, and expand (the one facet shown with all its values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, urlencode

from werkzeug.datastructures import MultiDict

from search.periods import NotADate, period
from search.results import FILTER_FACETS, SORTS, BadRequest, SearchRequest

# Facet values are names; nobody needs more of them, and each one is a filter clause.
MAX_FACET_VALUES = 50
MAX_FACET_VALUE_LENGTH = 200
MAX_FACET_LIMIT = 1000


# The order parameters appear in URLs we build: stable, so equal searches have equal URLs.
PARAMETER_ORDER = ("q", *FILTER_FACETS, "from", "to", "sort", "page", "size", "expand")


@dataclass(frozen=True)
class SearchState:
    """A parsed search page request: what the searcher needs, and what only the page needs."""

    request: SearchRequest
    expand: str | None = None  # facet whose values are all listed
    sort_given: bool = False  # an explicit sort stays in URLs; the default does not

    @property
    def is_browse(self) -> bool:
        return not self.request.q.strip()


def parse_date(text: str, parameter: str, *, end: bool) -> date:
    """YYYY-MM-DD, or YYYY-MM / YYYY meaning its first day (from) or its last day (to)."""
    try:
        first, last = period(text, slashes=False)  # URL dates are ISO: YYYY-MM-DD
    except NotADate:
        raise BadRequest(f"{parameter} must be a date as YYYY-MM-DD (or YYYY-MM, YYYY), got {text!r}", parameter) from None
    except ValueError:
        raise BadRequest(f"{parameter} is not a calendar date: {text!r}", parameter) from None
    return last if end else first


def _positive_int(text: str, parameter: str, *, maximum: int, minimum: int = 1) -> int:
    value = text.strip()
    if not re.fullmatch(r"[+]?\d{1,9}", value):
        raise BadRequest(f"{parameter} must be a whole number, got {text!r}", parameter)
    number = int(value)
    if number < minimum or number > maximum:
        raise BadRequest(f"{parameter} must be between {minimum} and {maximum}, got {number}", parameter)
    return number


def _single(args: MultiDict, name: str) -> str | None:
    values = args.getlist(name)
    if not values:
        return None
    if len(values) > 1 and len(set(values)) > 1:
        raise BadRequest(f"{name} was given {len(values)} different values; give it once", name)
    return values[0]


def parse_search(args: MultiDict, config: Mapping[str, Any], *, api: bool = False) -> SearchState:
    """The search request the query string describes, or BadRequest naming the bad parameter.

    Limits are enforced, never silently clamped: a program asking for size=100000 learns the cap
    from the 400 instead of getting fewer results than it thinks it asked for.
    """
    q = _single(args, "q") or ""
    if "\x00" in q:
        raise BadRequest("q must not contain NUL characters", "q")
    if len(q) > config["MAX_QUERY_LENGTH"]:
        raise BadRequest(f"q is {len(q)} characters long; the limit is {config['MAX_QUERY_LENGTH']}", "q")

    facets: dict[str, tuple[str, ...]] = {}
    for name in FILTER_FACETS:
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_FACET_VALUES:
            raise BadRequest(f"{name} was given {len(values)} values; the limit is {MAX_FACET_VALUES}", name)
        for value in values:
            if "\x00" in value:
                raise BadRequest(f"{name} must not contain NUL characters", name)
            if len(value) > MAX_FACET_VALUE_LENGTH:
                raise BadRequest(f"{name} value is too long (limit {MAX_FACET_VALUE_LENGTH} characters)", name)
        facets[name] = values

    date_from = date_to = None
    if raw := (_single(args, "from") or "").strip():
        date_from = parse_date(raw, "from", end=False)
    if raw := (_single(args, "to") or "").strip():
        date_to = parse_date(raw, "to", end=True)
    if date_from and date_to and date_from > date_to:
        raise BadRequest(f"from ({date_from.isoformat()}) is after to ({date_to.isoformat()})", "from")

    raw_sort = (_single(args, "sort") or "").strip()
    if raw_sort and raw_sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}, got {raw_sort!r}", "sort")
    # With no words there is nothing to rank by: browsing shows the newest first.
    sort = raw_sort or ("relevance" if q.strip() else "newest")

    page = 1
    if raw := _single(args, "page"):
        page = _positive_int(raw, "page", maximum=config["MAX_PAGE"])
    size = config["DEFAULT_PAGE_SIZE"]
    if raw := _single(args, "size"):
        size = _positive_int(raw, "size", maximum=config["MAX_PAGE_SIZE"])

    expand = (_single(args, "expand") or "").strip() or None
    if expand is not None and expand not in FILTER_FACETS:
        raise BadRequest(f"expand must be one of {', '.join(FILTER_FACETS)}, got {expand!r}", "expand")
    # The page asks for one value more than it lists, to know whether to offer "show all".
    facet_limit = config["FACET_LIMIT"] if api else config["FACET_LIMIT"] + 1
    if api and (raw := _single(args, "facet_limit")):
        facet_limit = _positive_int(raw, "facet_limit", minimum=0, maximum=MAX_FACET_LIMIT)
    if expand:
        facet_limit = 0  # all values; the page trims the other facets back to FACET_LIMIT

    snippets = True
    if api and (raw := _single(args, "snippets")):
        if raw.lower() not in ("true", "false", "1", "0"):
            raise BadRequest(f"snippets must be true or false, got {raw!r}", "snippets")
        snippets = raw.lower() in ("true", "1")

    request = SearchRequest(q=q, date_from=date_from, date_to=date_to, sort=sort, page=page,  # type: ignore[arg-type]
                            page_size=size, facet_limit=facet_limit, snippets=snippets, **facets)
    return SearchState(request=request, expand=expand, sort_given=bool(raw_sort))


def state_params(state: SearchState, default_size: int) -> list[tuple[str, str]]:
    """The query string pairs that reproduce a search (defaults left out)."""
    r = state.request
    return _params(lambda name: getattr(r, name), state.sort_given, state.expand, default_size)


def _params(value: Callable[[str], Any], sort_given: bool, expand: str | None,
            default_size: int) -> list[tuple[str, str]]:
    """state_params over `value(field of SearchRequest)`: links are built without new dataclasses."""
    pairs: list[tuple[str, str]] = []
    if q := value("q"):
        pairs.append(("q", q))
    for name in FILTER_FACETS:
        pairs.extend((name, v) for v in value(name))
    if date_from := value("date_from"):
        pairs.append(("from", date_from.isoformat()))
    if date_to := value("date_to"):
        pairs.append(("to", date_to.isoformat()))
    if sort_given:
        pairs.append(("sort", value("sort")))
    if (page := value("page")) != 1:
        pairs.append(("page", str(page)))
    if (size := value("page_size")) != default_size:
        pairs.append(("size", str(size)))
    if expand:
        pairs.append(("expand", expand))
    return pairs


@lru_cache(maxsize=16384)
def _quote(text: str) -> str:
    return quote_plus(text)


def encode_params(pairs: list[tuple[str, str]]) -> str:
    """urlencode(pairs), with each value's encoding remembered: a results page has ~80 links
    made of the same few values."""
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in pairs)


_KEEP: Any = object()


class UrlState:
    """Builds links that change one thing about the current search and keep everything else.

    Any change other than paging goes back to page 1: the old page number means nothing
    for a different result list.
    """

    def __init__(self, state: SearchState, default_size: int, path: str = "/") -> None:
        self.state = state
        self.default_size = default_size
        self.path = path

    def _url(self, pairs: list[tuple[str, str]]) -> str:
        query = encode_params(pairs)
        return f"{self.path}?{query}" if query else self.path

    def _changed(self, keep_page: bool = False, sort_given: bool | None = None, expand: Any = _KEEP,
                 **changes: Any) -> str:
        """The link to this search with `changes` to its request (and page 1 unless keep_page)."""
        if not keep_page:
            changes["page"] = 1
        r = self.state.request
        value = lambda name: changes[name] if name in changes else getattr(r, name)  # noqa: E731
        return self._url(_params(value, self.state.sort_given if sort_given is None else sort_given,
                                 self.state.expand if expand is _KEEP else expand, self.default_size))

    def current(self) -> str:
        return self._url(state_params(self.state, self.default_size))

    def page(self, number: int) -> str:
        return self._changed(keep_page=True, page=number)

    def sort(self, sort: str) -> str:
        default = "relevance" if self.state.request.q.strip() else "newest"
        return self._changed(sort=sort, sort_given=sort != default)

    def toggle(self, facet: str, value: str) -> str:
        values: tuple[str, ...] = getattr(self.state.request, facet)
        if value in values:
            values = tuple(v for v in values if v != value)
        else:
            values = (*values, value)
        return self._changed(**{facet: values})

    def add(self, facet: str, value: str) -> str:
        values: tuple[str, ...] = getattr(self.state.request, facet)
        return self._changed(**{facet: values if value in values else (*values, value)})

    def clear(self, facet: str) -> str:
        return self._changed(**{facet: ()})

    def dates(self, start: date | str | None, end: date | str | None) -> str:
        as_date = lambda d: date.fromisoformat(d) if isinstance(d, str) else d  # noqa: E731
        return self._changed(date_from=as_date(start), date_to=as_date(end))

    def expand(self, facet: str | None) -> str:
        return self._changed(keep_page=True, expand=facet)

    def query(self, q: str) -> str:
        # A new query gets its own default sort unless one was chosen explicitly.
        return self._changed(q=q)

    def clear_all(self) -> str:
        state = SearchState(SearchRequest(q=self.state.request.q, page_size=self.state.request.page_size))
        return self._url(state_params(state, self.default_size))

    def json(self) -> str:
        """The /api/search twin of this page."""
        pairs = [(k, v) for k, v in state_params(self.state, self.default_size) if k != "expand"]
        return "/api/search" + ("?" + encode_params(pairs) if pairs else "")


def facet_search_url(facet: str, value: str) -> str:
    """A fresh search filtered by one facet value (links on the article page)."""
    return "/?" + urlencode([(facet, value)])
