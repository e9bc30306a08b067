"""One facet registry: every front end and the index follow it, and a new entry needs nothing else.

The tests below never name a facet: they loop over FACETS, so a new entry is exercised end to
end (request, engine, URL, CLI, OpenAPI) without touching them.
"""

from __future__ import annotations

import argparse
import dataclasses

import pytest
from werkzeug.datastructures import MultiDict

from helpers import ARTICLES, index_articles
from search.commands.search import register
from search.engine.searcher import Searcher
from search.facet_registry import FACETS, QUERY_FIELDS
from search.index.schema import build_schema
from search.query.parse import FacetMatch, parse
from search.results import BadRequest, SearchRequest
from search.settings import Limits
from web import create_app
from web.params import API_PARAMETERS, UrlState, parse_search, state_params


def test_every_facet_is_an_index_field_and_a_query_field_but_no_request_field_of_its_own():
    request_fields = {f.name for f in dataclasses.fields(SearchRequest)}
    schema = build_schema()
    for facet in FACETS:
        assert facet.name not in request_fields  # its values travel in SearchRequest.filters
        assert facet.field in schema.names() and schema[facet.field].stored
        for name in (facet.name, *facet.aliases):
            assert QUERY_FIELDS[name] == facet.field
            node = parse(f'{name}:"Some Value"')
            assert isinstance(node, FacetMatch) and node.field == facet.field


def test_a_request_carries_every_registered_facet_in_one_field():
    chosen = {facet.name: (f"{facet.name} one", f"{facet.name} two") for facet in FACETS}
    request = SearchRequest(filters=chosen)
    request.validate(Limits())
    assert {facet.name: request.selected(facet.name) for facet in FACETS} == chosen
    assert request.selections() == chosen and list(request.filters) == [facet.name for facet in FACETS]
    # Normalised: facet order and empty facets do not matter, so equal searches are one cache key.
    backwards = SearchRequest(filters={**dict(reversed(list(chosen.items()))), FACETS[0].name: chosen[FACETS[0].name]})
    assert backwards == request and hash(backwards) == hash(request)
    assert SearchRequest(filters={facet.name: () for facet in FACETS}) == SearchRequest()
    assert SearchRequest().selected(FACETS[-1].name) == ()
    # The values' order is kept (links list them as ticked) and is part of the request.
    assert SearchRequest(filters={FACETS[0].name: ("b", "a")}) != SearchRequest(filters={FACETS[0].name: ("a", "b")})


def test_an_unknown_facet_is_a_bad_request_naming_it():
    with pytest.raises(BadRequest, match="unknown facet 'mood'") as error:
        SearchRequest(filters={"mood": ("calm",)})
    assert error.value.parameter == "mood"
    with pytest.raises(BadRequest, match="sequence of text values") as error:
        SearchRequest(filters={FACETS[0].name: "one value, not a tuple"})  # type: ignore[dict-item]
    assert error.value.parameter == FACETS[0].name
    with pytest.raises(KeyError, match="mood"):
        SearchRequest().selected("mood")
    too_many = SearchRequest(filters={FACETS[-1].name: tuple(map(str, range(Limits().max_facet_values + 1)))})
    with pytest.raises(BadRequest) as error:
        too_many.validate(Limits())
    assert error.value.parameter == FACETS[-1].name


def test_the_engine_filters_by_every_registered_facet(tmp_path):
    # The fixture articles give every facet values (the topic through a section of one article).
    first, entities = ARTICLES[3]
    articles = [*ARTICLES[:3], (dataclasses.replace(first, topic="Business"), entities), *ARTICLES[4:]]
    with Searcher.open(index_articles(tmp_path / "index", articles)) as searcher:
        everything = searcher.search(SearchRequest(facet_limit=0))
        for facet in FACETS:
            top = everything.facets[facet.name][0]
            narrowed = searcher.search(SearchRequest(filters={facet.name: (top.value,)}, facet_limit=0))
            assert 0 < narrowed.total == top.count < everything.total, facet.name
            assert [v.value for v in narrowed.facets[facet.name] if v.selected] == [top.value]


def test_urls_round_trip_every_registered_facet(tmp_path):
    config = create_app({"INDEX_DIR": str(tmp_path)}).config
    pairs = [(facet.name, value) for facet in FACETS for value in (f"{facet.name} 1", f"{facet.name} & 2")]
    state = parse_search(MultiDict([("q", "rockets"), *pairs]), config, api=True)
    assert {facet.name: state.request.selected(facet.name) for facet in FACETS} == {
        facet.name: (f"{facet.name} 1", f"{facet.name} & 2") for facet in FACETS
    }
    assert state_params(state, config["DEFAULT_PAGE_SIZE"]) == [("q", "rockets"), *pairs]
    assert {facet.name for facet in FACETS} <= API_PARAMETERS
    urls = UrlState(state, config["DEFAULT_PAGE_SIZE"])
    for facet in FACETS:
        # Unticking a value keeps every other facet's values, in registry order.
        off = parse_search(MultiDict(_query(urls.toggle(facet.name, f"{facet.name} 1"))), config)
        assert off.request.selected(facet.name) == (f"{facet.name} & 2",)
        assert off.request.filters == {**state.request.filters, facet.name: (f"{facet.name} & 2",)}
        cleared = parse_search(MultiDict(_query(urls.clear(facet.name))), config)
        assert facet.name not in cleared.request.filters and len(cleared.request.filters) == len(FACETS) - 1


def _query(url: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl, urlsplit

    return parse_qsl(urlsplit(url).query)


def test_the_cli_and_the_openapi_document_offer_every_facet(tmp_path):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    search = parser._subparsers._group_actions[0].choices["search"]  # type: ignore[union-attr]
    options = {option for action in search._actions for option in action.option_strings}
    params = {
        p["name"]
        for p in create_app({"INDEX_DIR": str(tmp_path)})
        .test_client()
        .get("/api/openapi.json")
        .json["paths"]["/api/search"]["get"]["parameters"]
    }
    for facet in FACETS:
        assert f"--{facet.name}" in options
        assert facet.name in params
        args = search.parse_args([f"--{facet.name}", "One", f"--{facet.name}", "Two"])
        assert getattr(args, facet.name) == ["One", "Two"]
