"""Entity pages: /people/<name> and /places/<name>, and their JSON twins under /api.

Names are routed as article ids are (web.article_urls): percent-encoded as one path segment, so
slashes, dots and any script round-trip; "." and ".." go in the query string (?name=).
"""

from __future__ import annotations

from datetime import date

import orjson
from flask import Blueprint, Response, abort, current_app, render_template, request

from search.entity_profile import EntityProfile, entity_profile
from search.facet_registry import FACETS_BY_NAME
from web.article_urls import DOT_SEGMENTS, ArticleIdConverter, encode_id
from web.config import limits
from web.params import encode_params
from web.timeline import articles as articles_label
from web.timeline import build_timeline

bp = Blueprint("entities", __name__)

# URL folder -> facet
KINDS = {"people": "person", "places": "place"}
FOLDERS = {facet: folder for folder, facet in KINDS.items()}


@bp.record_once
def _converter(state) -> None:
    state.app.url_map.converters["entity_name"] = ArticleIdConverter


@bp.app_template_global()
def entity_url(facet: str, name: str, json: bool = False) -> str:
    """The page (or JSON) of a person or place."""
    folder = FOLDERS[facet]
    prefix = "/api/" if json else "/"
    if name in DOT_SEGMENTS:
        return f"{prefix}{folder}/?" + encode_params([("name", name)])
    return f"{prefix}{folder}/{encode_id(name)}"


def _search_url(facet: str, name: str, start: date | str | None = None, end: date | str | None = None) -> str:
    pairs = [(facet, name)]
    pairs += [("from", str(start))] if start else []
    pairs += [("to", str(end))] if end else []
    return "/?" + encode_params(pairs)


def _profile(folder: str, name: str) -> EntityProfile:
    facet = KINDS[folder]
    holder = current_app.extensions["dateline.searcher"]
    searcher, version = holder.snapshot()
    profile = holder.cached(
        version,
        ("entity", facet, name),
        lambda: (
            entity_profile(searcher, facet, name, limits(current_app.config))
            or f"No articles name the {FACETS_BY_NAME[facet].singular.lower()} {name!r}."
        ),
    )
    if isinstance(profile, str):  # not found (cached too: a crawler asking again costs nothing)
        abort(404, description=profile)
    return profile


def _name_parameter() -> str:
    name = request.args.get("name")
    if not name:
        abort(404, description="Give a name: /people/NAME or /places/NAME.")
    return name


@bp.get("/<any(people, places):folder>/<entity_name:name>", merge_slashes=False)
def entity_page(folder: str, name: str) -> Response:
    profile = _profile(folder, name)
    timeline = build_timeline(profile.dates, lambda start, end: _search_url(profile.facet, profile.name, start, end))
    html = render_template(
        "entity.html",
        profile=profile,
        timeline=timeline,
        noun=FACETS_BY_NAME[profile.facet].singular,
        articles_label=articles_label,
        search_url=_search_url(profile.facet, profile.name),
        undated_url="/?" + encode_params([(profile.facet, profile.name), ("undated", "1")]),
        json_url=entity_url(profile.facet, name, json=True),
    )
    return Response(html, mimetype="text/html")


@bp.get("/api/<any(people, places):folder>/<entity_name:name>", merge_slashes=False)
def entity_json(folder: str, name: str) -> Response:
    profile = _profile(folder, name)
    body = profile.to_dict() | {
        "page": entity_url(profile.facet, profile.name),
        "search": _search_url(profile.facet, profile.name),
    }
    return Response(orjson.dumps(body), mimetype="application/json")


@bp.get("/<any(people, places):folder>/")
def entity_page_by_query(folder: str) -> Response:
    """?name=..: for the names no path can carry ("." and "..")."""
    return entity_page(folder, _name_parameter())


@bp.get("/api/<any(people, places):folder>/")
def entity_json_by_query(folder: str) -> Response:
    return entity_json(folder, _name_parameter())


__all__ = ["bp", "entity_url"]
