"""Routes: the search page, the article page, and their JSON twins under /api."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import orjson
from flask import Blueprint, Response, abort, current_app, render_template, request

from search.entity_profile import ENTITY_FACETS
from search.export import FORMATS
from search.facet_registry import FACETS_BY_NAME
from search.results import FILTER_FACETS, ArticleView, FacetValue, Hit, SearchResult, visible_values
from web.article_urls import article_url
from web.entities import entity_url
from web.exports import export_response
from web.index_access import SearcherHolder
from web.openapi import build_document
from web.params import SearchState, UrlState, facet_search_url, parse_search
from web.search_context import HitContext, hit_context, hit_link
from web.timeline import articles as articles_label
from web.timeline import build_timeline

bp = Blueprint("dateline", __name__)


PAGE_SIZES = (10, 25, 50, 100)  # the page's results-per-page choice (within DATELINE_MAX_PAGE_SIZE)


def holder() -> SearcherHolder:
    return current_app.extensions["dateline.searcher"]


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status=status, mimetype="application/json")


def html_response(body: bytes) -> Response:
    return Response(body, mimetype="text/html")


def cached_search(index: SearcherHolder, searcher: Any, version: str | None, state: SearchState) -> SearchResult:
    return index.cached(version, ("search", state.request), lambda: searcher.search(state.request), recent=True)


def load_article(article_id: str, searcher: Any, version: str | None) -> tuple[ArticleView, list[Hit]]:
    index = holder()
    view = searcher.article(article_id)
    if view is None:
        abort(404, description=f"No article with id {article_id!r} in the index.")
    limit = current_app.config["RELATED_LIMIT"]
    related = index.cached(version, ("related", article_id, limit), lambda: searcher.related(article_id, limit=limit))
    return view, related


# --- search ----------------------------------------------------------------------------


@bp.get("/")
def search_page() -> Response:
    config = current_app.config
    state = parse_search(request.args, config)
    index = holder()
    searcher, version = index.snapshot()

    def render() -> bytes:
        return _render_search(state, cached_search(index, searcher, version, state)).encode()

    # The page is a function of the state and the index version only, so popular pages
    # (the front page, facet clicks) are rendered once per index version, and kept as bytes.
    return html_response(index.cached(version, ("page", state), render))


def _render_search(state: SearchState, result: SearchResult) -> str:
    config = current_app.config
    urls = UrlState(state, config["DEFAULT_PAGE_SIZE"])
    r = state.request
    timeline = build_timeline(result.dates, urls.dates, r.date_from, r.date_to)
    return render_template(
        "search.html",
        state=state,
        req=r,
        result=result,
        urls=urls,
        timeline=timeline,
        facets=_facet_groups(state, result, urls),
        pagination=_pagination(result, config["MAX_PAGE"], urls),
        active_filters=_active_filters(state, urls),
        facet_search_url=facet_search_url,
        json_url=urls.json(),
        articles_label=articles_label,
        urls_pairs=urls.pairs(),
        hit_href=lambda article_id, position: hit_link(article_id, state, config["DEFAULT_PAGE_SIZE"], position),
        page_sizes=[n for n in PAGE_SIZES if n <= config["MAX_PAGE_SIZE"]],
        feed_url=urls.twin("/feed.atom"),
        export_urls={fmt: urls.twin(f"/api/search.{fmt}") for fmt in FORMATS},
    )


@bp.get("/api/search")
@bp.get("/search.json")
def search_json() -> Response:
    state = parse_search(request.args, current_app.config, api=True)
    if (fmt := request.args.get("format", "json")) != "json":
        return export_response(state, fmt)  # csv, jsonl; any other format is a 400 naming `format`
    index = holder()
    searcher, version = index.snapshot()

    def encode() -> bytes:
        return orjson.dumps(cached_search(index, searcher, version, state).to_dict())

    return Response(index.cached(version, ("json", state.request), encode), mimetype="application/json")


def _facet_groups(state: SearchState, result: SearchResult, urls: UrlState) -> list[dict]:
    limit = current_app.config["FACET_LIMIT"]
    groups = []
    for name in FILTER_FACETS:
        # The engine lists every selected value; the page shows the first values and those.
        values: list[FacetValue] = list(result.facets.get(name, []))
        selected = state.request.selected(name)
        expanded = state.expand == name
        shown = visible_values(values, 0 if expanded else limit)
        groups.append(
            {
                "name": name,
                "title": FACETS_BY_NAME[name].title,
                "noun": FACETS_BY_NAME[name].plural,
                "values": [
                    {"value": v.value, "count": v.count, "selected": v.selected, "href": urls.toggle(name, v.value)}
                    for v in shown
                ],
                "expanded": expanded,
                "entity": name in ENTITY_FACETS,  # values link to their pages too
                "more": len(values) > len(shown) or result.facet_totals.get(name, 0) > len(shown),
                "total": result.facet_totals.get(name, len(values)),
                # A filter box (a plain GET form: facet_q) once a facet has more values than fit.
                "filterable": result.facet_totals.get(name, 0) > limit or (expanded and bool(state.request.facet_q)),
                "expand_href": urls.expand(None if expanded else name),
                "clear_href": urls.clear(name) if selected else None,
            }
        )
    return groups


def _active_filters(state: SearchState, urls: UrlState) -> list[dict]:
    r = state.request
    chips = [
        {
            "label": f"{FACETS_BY_NAME[name].singular}: {value}",
            "value": value,
            "href": urls.toggle(name, value),
            "page": entity_url(name, value) if name in ENTITY_FACETS else None,
        }
        for name, values in r.filters.items()
        for value in values
    ]
    if r.date_from or r.date_to:
        label = f"{r.date_from.isoformat() if r.date_from else '…'} – {r.date_to.isoformat() if r.date_to else '…'}"
        chips.append({"label": f"Dates: {label}", "href": urls.dates(None, None)})
    if r.undated:
        chips.append({"label": "Undated only", "href": urls.undated(False)})
    return chips


def _pagination(result: SearchResult, max_page: int, urls: UrlState) -> dict | None:
    last = min(result.pages, max_page)
    if last <= 1 and result.page <= 1:
        return None
    current = result.page
    numbers = sorted({1, last, *range(max(1, current - 2), min(last, current + 2) + 1)})
    items: list[dict] = []
    previous = 0
    for n in numbers:
        if n - previous > 1:
            items.append({"gap": True})
        items.append({"number": n, "href": urls.page(n), "current": n == current})
        previous = n
    return {
        "items": items,
        "previous": urls.page(current - 1) if current > 1 else None,
        "next": urls.page(current + 1) if current < last else None,
        "last": last,
    }


# --- articles --------------------------------------------------------------------------


@bp.get("/articles/<article_id:article_id>", merge_slashes=False)
def article_page(article_id: str) -> Response:
    # /articles/<id>.json is the JSON twin, unless an article's own id ends in .json.
    if article_id.endswith(".json") and not _exists(article_id):
        return article_json(article_id[: -len(".json")])

    if "hit" in request.args:
        return _article_in_search(article_id)

    def render(view: ArticleView, related: list[Hit]) -> bytes:
        return _article_html(article_id, view, related, context=None)

    return html_response(_cached_article(article_id, "article.html", render))


def _article_html(article_id: str, view: ArticleView, related: list[Hit], context: HitContext | None) -> bytes:
    """The article page; `context` is the search it was opened from (web.search_context), or None."""
    return render_template(
        "article.html",
        article=view,
        related=related,
        facet_search_url=facet_search_url,
        json_url=article_url(article_id, json=True),
        context=context,
    ).encode()


def _article_in_search(article_id: str) -> Response:
    """The article page opened from a search (web.search_context): marks, back, previous and next."""
    index = holder()
    searcher, version = index.snapshot()
    config = current_app.config

    def render() -> bytes:
        view, related = load_article(article_id, searcher, version)
        context = hit_context(
            article_id, request.args, config, searcher, lambda state: cached_search(index, searcher, version, state)
        )
        return _article_html(article_id, view, related, context)

    key = ("article-in-search", article_id, tuple(sorted(request.args.items(multi=True))))
    return html_response(index.cached(version, key, render))


@bp.get("/api/articles/<article_id:article_id>", merge_slashes=False)
def article_json(article_id: str) -> Response:
    def encode(view: ArticleView, related: list[Hit]) -> bytes:
        return orjson.dumps(view.to_dict() | {"related": [asdict(hit) for hit in related]})

    return Response(_cached_article(article_id, "article.json", encode), mimetype="application/json")


@bp.get("/articles/")
def article_page_by_query() -> Response:
    """?id=..: for the ids no path can carry ("." and "..")."""
    return article_page(_id_parameter())


@bp.get("/api/articles/")
def article_json_by_query() -> Response:
    return article_json(_id_parameter())


def _id_parameter() -> str:
    article_id = request.args.get("id")
    if not article_id:
        abort(404)
    return article_id


def _exists(article_id: str) -> bool:
    return holder().get().article(article_id) is not None


def _cached_article(article_id: str, kind: str, render: Callable[[ArticleView, list[Hit]], bytes]) -> bytes:
    """An article page or its JSON, rendered once per index version (404 for an unknown id)."""
    index = holder()
    searcher, version = index.snapshot()
    return index.cached(version, (kind, article_id), lambda: render(*load_article(article_id, searcher, version)))


# --- the API's description -------------------------------------------------------------


@bp.get("/api/openapi.json")
def openapi() -> Response:
    return json_response(build_document(current_app.config))


@bp.get("/api")
@bp.get("/api/")
def api_index() -> Response:
    return json_response(
        {"openapi": "/api/openapi.json", "search": "/api/search?q=...", "article": "/api/articles/{id}"}
    )
