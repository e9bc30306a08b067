"""One facet registry: every front end and the index follow it."""

from __future__ import annotations

import dataclasses

from search.commands.search import register
from search.facet_registry import FACETS, QUERY_FIELDS
from search.index.schema import build_schema
from search.query.parse import FacetMatch, parse
from search.results import SearchRequest
from web import create_app


def test_every_facet_is_a_request_field_an_index_field_and_a_query_field():
    request_fields = {f.name for f in dataclasses.fields(SearchRequest)}
    schema = build_schema()
    for facet in FACETS:
        assert facet.name in request_fields
        assert facet.field in schema.names() and schema[facet.field].stored
        for name in (facet.name, *facet.aliases):
            assert QUERY_FIELDS[name] == facet.field
            node = parse(f'{name}:"Some Value"')
            assert isinstance(node, FacetMatch) and node.field == facet.field


def test_the_cli_and_the_openapi_document_offer_every_facet(tmp_path):
    import argparse

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    search = parser._subparsers._group_actions[0].choices["search"]  # type: ignore[union-attr]
    options = {option for action in search._actions for option in action.option_strings}
    params = {p["name"] for p in create_app({"INDEX_DIR": str(tmp_path)}).test_client()
              .get("/api/openapi.json").json["paths"]["/api/search"]["get"]["parameters"]}
    for facet in FACETS:
        assert f"--{facet.name}" in options
        assert facet.name in params
