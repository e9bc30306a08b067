"""Hostile requests get an answer or a 400 in the one error shape, never a 500 (issue 10, serving side)."""

from __future__ import annotations

import re

import orjson
import pytest

from helpers import shared_index
from web import create_app


@pytest.fixture(scope="module")
def client():
    return create_app({"INDEX_DIR": str(shared_index()), "REFRESH_INTERVAL": 0}).test_client()


EMPTY_FACET_QUERIES = [
    'place:""',
    'person:""',
    'country:""',
    'source:""',
    'person:" "',
    "person:-",
    "place:_",
    'person:"-"',
    'source:"_"',
    'quayside person:""',
]


@pytest.mark.parametrize("query", EMPTY_FACET_QUERIES)
def test_an_empty_facet_value_is_answered_not_a_500(client, query):
    for path in ("/api/search", "/"):
        response = client.get(path, query_string={"q": query})
        assert response.status_code == 200, (path, response.data[:300])
    data = orjson.loads(client.get("/api/search", query_string={"q": query}).data)
    if '""' in query or '" "' in query:
        assert "names no" in data["notice"]


def test_a_nul_in_a_facet_value_is_a_400_the_openapi_document_declares(client):
    response = client.get("/api/search", query_string={"place": "Lon\x00don"})
    assert response.status_code == 400
    error = orjson.loads(response.data)["error"]
    assert error["parameter"] == "place" and error["status"] == 400
    document = orjson.loads(client.get("/api/openapi.json").data)
    search = document["paths"]["/api/search"]["get"]
    assert "400" in search["responses"]
    place = next(p for p in search["parameters"] if p["name"] == "place")
    pattern = place["schema"]["items"]["pattern"]
    assert "NUL" in place["description"]
    assert re.fullmatch(pattern, "London") and not re.fullmatch(pattern, "Lon\x00don")
