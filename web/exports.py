"""A search's other shapes: its Atom feed (/feed.atom) and its exports (/api/search.csv, .jsonl).

Each takes the search's own parameters. Everything that can fail (a bad parameter, a stale cursor)
fails before the first byte is sent: the answer is then a 400 in the one error shape, and only the
encoding of rows already found is streamed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from flask import Blueprint, Response, current_app, request, url_for

from search.export import FORMATS, csv_chunks, jsonl_chunks
from search.results import BadRequest
from web.feed import FEED_ENTRIES, build_feed
from web.params import SearchState, UrlState, encode_params, parse_search, state_params

bp = Blueprint("exports", __name__)

MIMETYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
EXPORT_FORMATS = ("json", *FORMATS)  # what /api/search's `format` accepts


def export_response(state: SearchState, fmt: str) -> Response:
    """The search's rows as CSV or JSON Lines, up to the export limit, streamed."""
    from web.views import holder

    if fmt not in FORMATS:
        raise BadRequest(f"format must be one of {', '.join(EXPORT_FORMATS)}, got {fmt!r}", "format")
    searcher, _version = holder().snapshot()
    result = searcher.export(state.request, current_app.config["EXPORT_LIMIT"])
    hits = result.results
    body = csv_chunks(hits) if fmt == "csv" else jsonl_chunks(hits)
    response = Response(body, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="dateline-search.{fmt}"'
    response.headers["X-Total-Count"] = str(result.total)
    if result.next_cursor:
        # More rows than the limit: the cursor of the next export, for a program that wants them all.
        response.headers["X-Next-Cursor"] = result.next_cursor
    return response


@bp.get("/api/search.csv")
def search_csv() -> Response:
    return export_response(parse_search(request.args, current_app.config, api=True), "csv")


@bp.get("/api/search.jsonl")
def search_jsonl() -> Response:
    return export_response(parse_search(request.args, current_app.config, api=True), "jsonl")


@bp.get("/feed.atom")
def search_feed() -> Response:
    """The 50 newest articles of the search, whatever its sort and page."""
    from web.views import holder

    config = current_app.config
    state = parse_search(request.args, config)
    feed_request = replace(state.request, sort="newest", page=1, page_size=FEED_ENTRIES, facet_limit=1, cursor=None)
    index = holder()
    searcher, version = index.snapshot()
    result = searcher.search(feed_request)
    # The feed's identity: the search without page, page size, sort or expand.
    pairs = [
        (k, v)
        for k, v in state_params(state, config["DEFAULT_PAGE_SIZE"])
        if k not in ("page", "page_size", "sort", "expand")
    ]
    key = encode_params(pairs)
    root = request.url_root.rstrip("/")
    body = build_feed(
        result,
        title="Dateline: " + _describe(state),
        self_url=root + UrlState(state, config["DEFAULT_PAGE_SIZE"]).twin("/feed.atom"),
        page_url=root + "/" + ("?" + key if key else ""),
        feed_key=key,
        article_url=lambda article_id: root + url_for("dateline.article_page", article_id=article_id),
        fallback_time=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )
    return Response(body, mimetype="application/atom+xml")


def _describe(state: SearchState) -> str:
    r = state.request
    parts = [r.q.strip() or "all articles"]
    parts += [f"{name} {value}" for name, values in r.selections().items() for value in values]
    if r.date_from or r.date_to:
        parts.append(f"{r.date_from or '…'} to {r.date_to or '…'}")
    return ", ".join(parts)
