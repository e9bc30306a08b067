"""The JSON API: every response held against the OpenAPI document's schemas."""

from __future__ import annotations

import logging

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from helpers import PEOPLE, QUAYSIDE_COUNT, shared_index
from web import create_app


@pytest.fixture(scope="module")
def openapi(app):
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def validator(openapi: dict, name: str) -> jsonschema.Draft202012Validator:
    # The whole document is one resource, so "#/components/schemas/..." references resolve in it.
    registry = Registry().with_resource(
        "urn:dateline-openapi", Resource.from_contents(openapi, default_specification=DRAFT202012)
    )
    schema = {"$ref": f"urn:dateline-openapi#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(
        schema, registry=registry, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def assert_matches(openapi: dict, name: str, data: object) -> None:
    errors = sorted(validator(openapi, name).iter_errors(data), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def assert_error(openapi: dict, response, status: int, parameter: str | None = None) -> dict:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    data = response.json
    assert_matches(openapi, "Error", data)
    assert data["error"]["status"] == status
    assert data["error"]["parameter"] == parameter
    assert "Traceback" not in response.get_data(as_text=True)
    return data["error"]


# --- the document ---------------------------------------------------------------------------


def test_openapi_document_is_3_1_with_valid_schemas(openapi):
    assert openapi["openapi"].startswith("3.1")
    assert {"/api/search", "/api/articles/{id}"} <= set(openapi["paths"])
    for name, schema in openapi["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)
    params = {p["name"] for p in openapi["paths"]["/api/search"]["get"]["parameters"]}
    assert {"q", "person", "place", "country", "source", "from", "to", "sort", "page", "page_size", "size"} <= params
    search_responses = openapi["paths"]["/api/search"]["get"]["responses"]
    assert search_responses["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/Error")


def test_openapi_states_this_servers_limits():
    client = create_app({"INDEX_DIR": str(shared_index()), "MAX_PAGE_SIZE": 20}).test_client()
    params = {p["name"]: p for p in client.get("/api/openapi.json").json["paths"]["/api/search"]["get"]["parameters"]}
    assert params["page_size"]["schema"]["maximum"] == 20 and params["size"]["schema"]["maximum"] == 20


def test_schemas_reject_what_they_should(openapi):
    with pytest.raises(AssertionError):
        assert_matches(openapi, "Error", {"error": {"status": 400, "message": "x"}})
    with pytest.raises(AssertionError):
        assert_matches(openapi, "FacetValue", {"value": "x", "count": -1, "selected": False})


# --- /api/search ----------------------------------------------------------------------------


def test_search(client, openapi):
    # collapse=off: the quayside reports are templated, near duplicates of each other; this counts articles
    response = client.get("/api/search?q=quayside&collapse=off")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.json
    assert_matches(openapi, "SearchResult", data)
    assert data["query"] == "quayside" and data["total"] == QUAYSIDE_COUNT
    assert data["page"] == 1 and data["page_size"] == 10 and data["pages"] == 4
    assert len(data["results"]) == 10
    assert all(any("<mark>" in s for s in hit["snippets"]) or "<mark>" in hit["title_html"] for hit in data["results"])
    assert set(data["facets"]) == {"person", "place", "country", "source", "topic"}
    people = {v["value"]: v for v in data["facets"]["person"]}
    assert set(PEOPLE) <= set(people)
    assert data["dates"]["buckets"] and sum(b["count"] for b in data["dates"]["buckets"]) == QUAYSIDE_COUNT


def test_search_with_every_parameter(client, openapi):
    response = client.get(
        "/api/search",
        query_string=[
            ("q", "quayside"),
            ("person", PEOPLE[0]),
            ("person", PEOPLE[1]),
            ("country", "Japan"),
            ("country", "United Kingdom"),
            ("source", "Reuters"),
            ("from", "1987-01-01"),
            ("to", "1987-06-30"),
            ("sort", "oldest"),
            ("page", "1"),
            ("size", "3"),
            ("facet_limit", "0"),
            ("snippets", "false"),
        ],
    )
    data = response.json
    assert response.status_code == 200, data
    assert_matches(openapi, "SearchResult", data)
    assert data["sort"] == "oldest" and data["page_size"] == 3
    assert 0 < data["total"]
    selected = {(name, v["value"]) for name, values in data["facets"].items() for v in values if v["selected"]}
    assert {("person", PEOPLE[0]), ("person", PEOPLE[1]), ("country", "Japan"), ("source", "Reuters")} <= selected
    for hit in data["results"]:
        assert set(hit["people"]) & {PEOPLE[0], PEOPLE[1]}
        assert {p["country"] for p in hit["places"]} & {"Japan", "United Kingdom"}
        assert hit["source"] == "Reuters" and hit["snippets"] == []
    dates = [hit["published"] for hit in data["results"]]
    assert dates == sorted(dates)


def test_search_json_twin_equals_the_api(client):
    one = client.get("/api/search?q=quayside&place=Tokyo").json
    two = client.get("/search.json?q=quayside&place=Tokyo").json
    one.pop("took_ms"), two.pop("took_ms")
    assert one == two


def test_page_links_to_its_json_twin(client):
    html = client.get("/?q=quayside&place=Tokyo").get_data(as_text=True)
    assert 'href="/api/search?q=quayside&amp;place=Tokyo"' in html


def test_empty_query_browses_everything_newest_first(client, openapi):
    data = client.get("/api/search").json
    assert_matches(openapi, "SearchResult", data)
    assert data["sort"] == "newest" and data["total"] >= QUAYSIDE_COUNT
    dates = [h["published"] for h in data["results"]]
    assert dates == sorted(dates, reverse=True)


def test_notice_and_suggestion(client, openapi):
    notice = client.get("/api/search?q=%22quayside").json
    assert_matches(openapi, "SearchResult", notice)
    assert notice["notice"] and notice["total"] == QUAYSIDE_COUNT
    suggestion = client.get("/api/search?q=quaysdie").json
    assert suggestion["suggestion"] == "quayside"


def test_page_beyond_the_last_is_empty_not_an_error(client, openapi):
    data = client.get("/api/search?q=quayside&page=50").json
    assert_matches(openapi, "SearchResult", data)
    assert data["results"] == [] and data["total"] == QUAYSIDE_COUNT


@pytest.mark.parametrize(
    "query, parameter, words",
    [
        ("page=abc", "page", "whole number"),
        ("page=0", "page", "between 1"),
        ("page=-3", "page", "whole number"),
        ("page=1000000", "page", "between 1"),
        ("size=100000", "size", "between 1 and 100"),
        ("size=0", "size", "between 1"),
        ("size=ten", "size", "whole number"),
        ("sort=loudest", "sort", "relevance, newest, oldest"),
        ("from=1987-05-01&to=1987-01-01", "from", "after"),
        ("from=1987-02-30", "from", "not a calendar date"),
        ("to=31/12/1987", "to", "YYYY-MM-DD"),
        ("facet_limit=-1", "facet_limit", "whole number"),
        ("snippets=maybe", "snippets", "true or false"),
        ("page=1&page=2", "page", "once"),
        ("q=a%00b", "q", "NUL"),
    ],
)
def test_bad_parameters_are_400_with_the_parameter(client, openapi, query, parameter, words):
    error = assert_error(openapi, client.get(f"/api/search?{query}"), 400, parameter)
    assert words in error["message"]
    assert error["title"] == "Bad Request"


def test_query_too_long_is_400(client, openapi):
    error = assert_error(openapi, client.get("/api/search", query_string={"q": "w" * 1001}), 400, "q")
    assert "1000" in error["message"]


def test_too_many_facet_values_is_400(client, openapi):
    response = client.get("/api/search", query_string=[("person", f"p{i}") for i in range(51)])
    assert_error(openapi, response, 400, "person")


# --- /api/articles --------------------------------------------------------------------------


def test_article(client, openapi):
    response = client.get("/api/articles/web-test-00")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.json
    assert_matches(openapi, "Article", data)
    assert data["id"] == "web-test-00"
    assert data["title"] == "Quayside traffic in London report number 1"
    assert len(data["body"]) == 3
    assert data["related"] and "web-test-00" not in [h["id"] for h in data["related"]]
    assert client.get("/articles/web-test-00.json").json == data


def test_unknown_article_is_404(client, openapi):
    error = assert_error(openapi, client.get("/api/articles/nope"), 404)
    assert "nope" in error["message"]
    assert_error(openapi, client.get("/articles/nope.json"), 404)


# --- other errors -------------------------------------------------------------------------


def test_unknown_api_route_is_404_json(client, openapi):
    error = assert_error(openapi, client.get("/api/nothing/here"), 404)
    assert "openapi.json" in error["message"]


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_wrong_method_is_405_json(client, openapi, method):
    response = getattr(client, method)("/api/search")
    assert_error(openapi, response, 405)
    assert "GET" in response.headers["Allow"]


def test_unexpected_exception_is_a_logged_500_without_a_traceback(openapi, caplog):
    app = create_app({"INDEX_DIR": str(shared_index()), "CACHE_SIZE": 0})
    holder = app.extensions["dateline.searcher"]
    searcher = holder.get()

    def broken(request):
        raise RuntimeError("secret internal detail")

    searcher.search, original = broken, searcher.search
    try:
        with caplog.at_level(logging.ERROR, logger="dateline.web"):
            response = app.test_client().get("/api/search?q=quayside")
            page = app.test_client().get("/?q=quayside")
    finally:
        searcher.search = original
    error = assert_error(openapi, response, 500)
    assert "secret" not in response.get_data(as_text=True)
    assert "logged" in error["message"]
    assert page.status_code == 500 and page.mimetype == "text/html"
    assert "secret" not in page.get_data(as_text=True) and "Traceback" not in page.get_data(as_text=True)
    assert any("secret internal detail" in (r.exc_text or "") for r in caplog.records)


def test_missing_index_is_503_json(openapi, tmp_path):
    response = create_app({"INDEX_DIR": str(tmp_path)}).test_client().get("/api/articles/x")
    error = assert_error(openapi, response, 503)
    assert "dateline reindex" in error["message"]


# --- parameter names: page_size everywhere, size accepted; unknown parameters named -------------


def test_page_size_and_its_alias_size(client, openapi):
    by_name = client.get("/api/search?q=quayside&page_size=3").json
    by_alias = client.get("/api/search?q=quayside&size=3").json
    assert by_name == by_alias | {"took_ms": by_name["took_ms"]}
    assert by_name["page_size"] == 3 and len(by_name["results"]) == 3
    assert client.get("/api/search?q=quayside&size=3&page_size=3").json["page_size"] == 3
    error = assert_error(openapi, client.get("/api/search?q=quayside&size=3&page_size=4"), 400, "page_size")
    assert "give one of them" in error["message"]
    error = assert_error(openapi, client.get("/api/search?page_size=0"), 400, "page_size")
    assert "between 1 and 100" in error["message"]
    params = {p["name"]: p for p in openapi["paths"]["/api/search"]["get"]["parameters"]}
    assert params["page_size"]["schema"]["maximum"] == 100 and "size" in params["page_size"]["description"]


@pytest.mark.parametrize(
    "query, unknown", [("q=x&pagesize=5", "pagesize"), ("colour=red", "colour"), ("q=x&expanded=person", "expanded")]
)
def test_an_unknown_api_parameter_is_a_400_naming_it(client, openapi, query, unknown):
    error = assert_error(openapi, client.get(f"/api/search?{query}"), 400, unknown)
    assert repr(unknown) in error["message"] and "/api/openapi.json" in error["message"]


def test_the_html_page_ignores_unknown_parameters(client):
    response = client.get("/?q=quayside&colour=red")
    assert response.status_code == 200
