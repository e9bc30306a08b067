"""GET parameters <-> SearchRequest: parsing with 400s that name the parameter, and URLs that keep state.

The whole state of a search lives in the query string, so a search can be shared and the
back button works: q, one parameter per facet of search.facet_registry (repeatable), from, to, sort, page,
page_size (also accepted as `size`), and expand (the one facet shown with all its values).
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
from search.results import FILTER_FACETS, BadRequest, SearchRequest
from web.config import limits

# The order parameters appear in URLs we build: stable, so equal searches have equal URLs.
PARAMETER_ORDER = (
    "q",
    *FILTER_FACETS,
    "from",
    "to",
    "undated",
    "sort",
    "collapse",
    "page",
    "page_size",
    "expand",
    "facet_q",
)
# Other names a parameter is accepted under (requests only; links use the name above).
ALIASES = {"size": "page_size"}
# What /api/search understands; any other parameter there is a 400 naming it (the page ignores them).
API_PARAMETERS = frozenset(
    {
        "q",
        *FILTER_FACETS,
        "from",
        "to",
        "undated",
        "sort",
        "page",
        "page_size",
        *ALIASES,
        "facet_limit",
        "snippets",
        "expand",
        "facet_q",
        "collapse",
        "cursor",
        "format",
    }
)
COLLAPSE_VALUES = {"on": True, "off": False, "true": True, "false": False, "1": True, "0": False}


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
        raise BadRequest(
            f"{parameter} must be a date as YYYY-MM-DD (or YYYY-MM, YYYY), got {text!r}", parameter
        ) from None
    except ValueError:
        raise BadRequest(f"{parameter} is not a calendar date: {text!r}", parameter) from None
    return last if end else first


def _whole_number(text: str, parameter: str) -> int:
    value = text.strip()
    if not re.fullmatch(r"[+]?\d{1,9}", value):
        raise BadRequest(f"{parameter} must be a whole number, got {text!r}", parameter)
    return int(value)


def _boolean(args: MultiDict, name: str, default: bool) -> bool:
    raw = (_single(args, name) or "").strip().lower()
    if not raw:
        return default
    if raw not in ("true", "false", "1", "0"):
        raise BadRequest(f"{name} must be true or false (or 1, 0), got {raw!r}", name)
    return raw in ("true", "1")


def _single(args: MultiDict, name: str) -> str | None:
    values = args.getlist(name)
    if not values:
        return None
    if len(values) > 1 and len(set(values)) > 1:
        raise BadRequest(f"{name} was given {len(values)} different values; give it once", name)
    return values[0]


def _single_of(args: MultiDict, name: str) -> tuple[str | None, str]:
    """The value of a parameter given under its name or one of its aliases, and the name used."""
    given = [n for n in (name, *(a for a, target in ALIASES.items() if target == name)) if n in args]
    if len(given) > 1 and len({v for n in given for v in args.getlist(n)}) > 1:
        raise BadRequest(f"{' and '.join(given)} name the same parameter; give one of them", given[0])
    return (_single(args, given[0]), given[0]) if given else (None, name)


def parse_search(args: MultiDict, config: Mapping[str, Any], *, api: bool = False) -> SearchState:
    """The search request the query string describes, or BadRequest naming the bad parameter.

    This only turns strings into values; SearchRequest.validate enforces the limits (config's
    settings), and its errors are reported under the parameter name the user typed.
    """
    if api:
        unknown = sorted(name for name in args if name not in API_PARAMETERS)
        if unknown:
            raise BadRequest(
                f"unknown parameter {unknown[0]!r}; the parameters are listed at /api/openapi.json", unknown[0]
            )
    q = _single(args, "q") or ""
    facets: dict[str, Any] = {
        name: tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip())) for name in FILTER_FACETS
    }

    date_from = date_to = None
    if raw := (_single(args, "from") or "").strip():
        date_from = parse_date(raw, "from", end=False)
    if raw := (_single(args, "to") or "").strip():
        date_to = parse_date(raw, "to", end=True)

    undated = _boolean(args, "undated", default=False)

    raw_sort = (_single(args, "sort") or "").strip()
    # With no words there is nothing to rank by: browsing shows the newest first.
    sort = raw_sort or ("relevance" if q.strip() else "newest")

    raw_page = _single(args, "page")
    page = _whole_number(raw_page, "page") if raw_page else 1
    raw_size, size_name = _single_of(args, "page_size")
    size = _whole_number(raw_size, size_name) if raw_size else config["DEFAULT_PAGE_SIZE"]

    expand = (_single(args, "expand") or "").strip() or None
    if expand is not None and expand not in FILTER_FACETS:
        raise BadRequest(f"expand must be one of {', '.join(FILTER_FACETS)}, got {expand!r}", "expand")
    # The page asks for one value more than it lists, to know whether to offer "show all".
    facet_limit = config["FACET_LIMIT"] if api else config["FACET_LIMIT"] + 1
    if api and (raw_limit := _single(args, "facet_limit")):
        facet_limit = _whole_number(raw_limit, "facet_limit")
    facet_q = (_single(args, "facet_q") or "").strip()

    snippets = _boolean(args, "snippets", default=True) if api else True

    collapse = True
    if raw_collapse := (_single(args, "collapse") or "").strip():
        if raw_collapse.lower() not in COLLAPSE_VALUES:
            raise BadRequest(f"collapse must be on or off, got {raw_collapse!r}", "collapse")
        collapse = COLLAPSE_VALUES[raw_collapse.lower()]
    cursor = (_single(args, "cursor") or "").strip() or None if api else None

    request = SearchRequest(
        q=q,
        date_from=date_from,
        date_to=date_to,
        undated=undated,
        sort=sort,  # type: ignore[arg-type]  # validate() names a sort it does not know
        page=page,
        page_size=size,
        facet_limit=facet_limit,
        snippets=snippets,
        expand=expand,
        facet_q=facet_q,
        collapse=collapse,
        cursor=cursor,
        filters=facets,
    )
    try:
        request.validate(limits(config))
    except BadRequest as error:
        if error.parameter == "page_size":
            error.parameter = size_name  # as typed; web.errors names the other fields' parameters
        raise
    return SearchState(request=request, expand=expand, sort_given=bool(raw_sort))


def state_params(state: SearchState, default_size: int) -> list[tuple[str, str]]:
    """The query string pairs that reproduce a search (defaults left out)."""
    r = state.request
    return _params(lambda name: getattr(r, name), state.sort_given, state.expand, default_size)


def _params(
    value: Callable[[str], Any], sort_given: bool, expand: str | None, default_size: int
) -> list[tuple[str, str]]:
    """state_params over `value(field of SearchRequest)`: links are built without new dataclasses."""
    pairs: list[tuple[str, str]] = []
    if q := value("q"):
        pairs.append(("q", q))
    filters: Mapping[str, tuple[str, ...]] = value("filters")
    for name in FILTER_FACETS:  # registry order, whatever order a change put them in
        pairs.extend((name, v) for v in filters.get(name, ()))
    if date_from := value("date_from"):
        pairs.append(("from", date_from.isoformat()))
    if date_to := value("date_to"):
        pairs.append(("to", date_to.isoformat()))
    if value("undated"):
        pairs.append(("undated", "1"))
    if sort_given:
        pairs.append(("sort", value("sort")))
    if not value("collapse"):
        pairs.append(("collapse", "off"))
    if (page := value("page")) != 1:
        pairs.append(("page", str(page)))
    if (size := value("page_size")) != default_size:
        pairs.append(("page_size", str(size)))
    if expand:
        pairs.append(("expand", expand))
        if facet_q := value("facet_q"):
            pairs.append(("facet_q", facet_q))
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

    def _changed(
        self, keep_page: bool = False, sort_given: bool | None = None, expand: Any = _KEEP, **changes: Any
    ) -> str:
        """The link to this search with `changes` to its request (and page 1 unless keep_page)."""
        if not keep_page:
            changes["page"] = 1
        r = self.state.request
        value = lambda name: changes[name] if name in changes else getattr(r, name)  # noqa: E731
        return self._url(
            _params(
                value,
                self.state.sort_given if sort_given is None else sort_given,
                self.state.expand if expand is _KEEP else expand,
                self.default_size,
            )
        )

    def pairs(self) -> list[tuple[str, str]]:
        """The query string pairs of this search (for the hidden fields of forms)."""
        return state_params(self.state, self.default_size)

    def current(self) -> str:
        return self._url(state_params(self.state, self.default_size))

    def page(self, number: int) -> str:
        return self._changed(keep_page=True, page=number)

    def sort(self, sort: str) -> str:
        default = "relevance" if self.state.request.q.strip() else "newest"
        return self._changed(sort=sort, sort_given=sort != default)

    def toggle(self, facet: str, value: str) -> str:
        values = self.state.request.selected(facet)
        if value in values:
            values = tuple(v for v in values if v != value)
        else:
            values = (*values, value)
        return self._changed(filters=self._filters_with(facet, values))

    def add(self, facet: str, value: str) -> str:
        values = self.state.request.selected(facet)
        return self._changed(filters=self._filters_with(facet, values if value in values else (*values, value)))

    def clear(self, facet: str) -> str:
        return self._changed(filters=self._filters_with(facet, ()))

    def _filters_with(self, facet: str, values: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
        """This search's facet selections with `facet`'s values replaced (() clears it)."""
        self.state.request.selected(facet)  # an unknown facet fails here, not as a link without it
        return {**self.state.request.filters, facet: values}

    def dates(self, start: date | str | None, end: date | str | None) -> str:
        as_date = lambda d: date.fromisoformat(d) if isinstance(d, str) else d  # noqa: E731
        return self._changed(date_from=as_date(start), date_to=as_date(end), undated=False)

    def undated(self, only: bool) -> str:
        """Only the articles without a date (dates chosen are dropped), or all again."""
        return self._changed(undated=only, date_from=None, date_to=None)

    def expand(self, facet: str | None) -> str:
        return self._changed(keep_page=True, expand=facet, facet_q="")

    def page_size(self, size: int) -> str:
        """The same results, `size` a page, on the page that holds the first hit shown now."""
        r = self.state.request
        return self._changed(keep_page=True, page=(r.page - 1) * r.page_size // size + 1, page_size=size)

    def query(self, q: str) -> str:
        # A new query gets its own default sort unless one was chosen explicitly.
        return self._changed(q=q)

    def collapse(self, on: bool) -> str:
        return self._changed(collapse=on)

    def clear_all(self) -> str:
        state = SearchState(
            SearchRequest(
                q=self.state.request.q, page_size=self.state.request.page_size, collapse=self.state.request.collapse
            )
        )
        return self._url(state_params(state, self.default_size))

    def json(self) -> str:
        """The /api/search twin of this page."""
        pairs = [(k, v) for k, v in state_params(self.state, self.default_size) if k not in ("expand", "facet_q")]
        return "/api/search" + ("?" + encode_params(pairs) if pairs else "")

    def twin(self, path: str) -> str:
        """This search at another address (its feed or an export): no page, page size or expand."""
        pairs = [
            (k, v) for k, v in state_params(self.state, self.default_size) if k not in ("expand", "page", "page_size")
        ]
        return path + ("?" + encode_params(pairs) if pairs else "")


def facet_search_url(facet: str, value: str) -> str:
    """A fresh search filtered by one facet value (links on the article page)."""
    return "/?" + urlencode([(facet, value)])
