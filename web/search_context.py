"""The article page opened from a search remembers it: the search travels in the article's URL
(the search's own parameters plus `hit`, the 1-based position of the article in the results), so
the page can mark the query's words in the full text, link back to the results page that holds the
hit and to the previous and next hits. Nothing is kept on the server: the link can be shared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from werkzeug.datastructures import MultiDict

from search.results import BadRequest, SearchResult
from web.article_urls import article_url
from web.params import SearchState, UrlState, encode_params, parse_search, state_params

# Parameters of the search that an article link carries; `page` is implied by `hit`.
_DROPPED = ("page", "expand", "facet_q")


@dataclass(frozen=True)
class HitContext:
    query: str
    position: int  # of this article in the results, from 1
    total: int
    back: str  # the results page that holds this hit
    previous: str | None  # the article page of the hit before, in the same search
    next: str | None
    body: list[str] | None  # paragraphs, escaped, the query's words in <mark>


def hit_link(article_id: str, state: SearchState, default_size: int, position: int) -> str:
    """The article page of a hit, carrying its search and its position."""
    pairs = [(k, v) for k, v in state_params(state, default_size) if k not in _DROPPED]
    url = article_url(article_id)
    return url + ("&" if "?" in url else "?") + encode_params([*pairs, ("hit", str(position))])


def _position(args: MultiDict) -> int | None:
    raw = args.get("hit")
    if raw is None:
        return None
    if not re.fullmatch(r"\s*\d{1,9}\s*", raw) or int(raw) < 1:
        raise BadRequest(f"hit must be a whole number from 1 (the article's place in the results), got {raw!r}", "hit")
    return int(raw)


def hit_context(
    article_id: str,
    args: MultiDict,
    config: Mapping[str, Any],
    searcher: Any,
    search: Callable[[SearchState], SearchResult],
) -> HitContext | None:
    """The search an article page was opened from, or None when its URL carries none.
    `search(state)` runs (or finds in the cache) the search of a state."""
    position = _position(args)
    if position is None:
        return None
    state = parse_search(args, config)
    size = state.request.page_size
    max_page = config["MAX_PAGE"]
    if (position - 1) // size + 1 > max_page:
        raise BadRequest(f"hit must be at most {max_page * size} with {size} results a page", "hit")

    def at(where: int) -> tuple[str | None, SearchResult]:
        """The id of the hit at a position, and the results page holding it."""
        page = (where - 1) // size + 1
        result = search(replace(state, request=replace(state.request, page=page)))
        index = (where - 1) % size
        return (result.results[index].id if index < len(result.results) else None), result

    here, result = at(position)
    default_size = config["DEFAULT_PAGE_SIZE"]
    back_state = replace(state, request=replace(state.request, page=(position - 1) // size + 1))
    back = UrlState(back_state, default_size).current() + f"#hit-{position}"
    previous = following = None
    if here == article_id:  # else the index changed since the link was made: no neighbours to offer
        if position > 1:
            before, _ = at(position - 1)
            previous = hit_link(before, state, default_size, position - 1) if before else None
        if position < result.listed and position // size + 1 <= max_page:
            after, _ = at(position + 1)
            following = hit_link(after, state, default_size, position + 1) if after else None
    body = searcher.marked_body(article_id, state.request.q) if state.request.q.strip() else None
    return HitContext(
        query=state.request.q,
        position=position,
        total=result.listed,
        back=back,
        previous=previous,
        next=following,
        body=body,
    )
