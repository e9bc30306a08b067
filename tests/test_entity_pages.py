"""Entity pages (/people/<name>, /places/<name>) and their JSON twins, on a real index and the real app."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import quote

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from helpers import ARTICLES, Page, index_articles, made_article
from web import create_app

UTC = timezone.utc
# Names that must round-trip through a URL: a slash, dots, a dot segment, accents, another script,
# and markup.
ODD = ("AC/DC Jones", "St. Louis", "..", "José Martí", "শেখ হাসিনা", "<b>Bold</b> & Co", "Q&A #1? 50%")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    odd = [
        made_article(
            f"odd{i}",
            f"Odd name story {i}",
            f"A story naming {name} at length.",
            published=datetime(2023, 7, 10 + i, 9, 0, tzinfo=UTC),
            people=[name, "Kim Jong Un"],
            places=[("Dhaka", "Bangladesh"), ("St. Louis/Missouri", "United States")],
        )
        for i, name in enumerate(ODD)
    ]
    index_dir = index_articles(tmp_path_factory.mktemp("entity-index"), [*ARTICLES, *odd])
    return create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0}).test_client()


@pytest.fixture(scope="module")
def openapi(client):
    return client.get("/api/openapi.json").json


def assert_schema(openapi: dict, name: str, data: object) -> None:
    registry = Registry().with_resource("urn:o", Resource.from_contents(openapi, default_specification=DRAFT202012))
    validator = jsonschema.Draft202012Validator({"$ref": f"urn:o#/components/schemas/{name}"}, registry=registry)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, errors[:5]


def test_person_page_counts_histogram_co_named_latest_and_relevant(client, openapi):
    data = client.get("/api/people/kim%20jong%20un").json  # case and spacing do not matter
    assert_schema(openapi, "EntityProfile", data)
    assert data["name"] == "Kim Jong Un" and data["facet"] == "person"
    assert data["total"] == 2 + len(ODD)
    assert sum(b["count"] for b in data["dates"]["buckets"]) == data["total"]
    assert "Kim Jong Un" not in [v["value"] for v in data["people"]]
    assert set(ODD) <= {v["value"] for v in data["people"]}
    assert {"Dhaka", "North Korea"} <= {v["value"] for v in data["places"]}
    published = [h["published"] for h in data["latest"]]
    assert published == sorted(published, reverse=True)
    assert data["relevant"] and all("<mark>" in "".join(h["snippets"]) + h["title_html"] for h in data["relevant"])

    page = Page(client.get("/people/Kim%20Jong%20Un").get_data(as_text=True))
    assert page.one("h1").text == "Kim Jong Un"
    assert len(page.find("a", "bar")) >= 1  # the histogram
    co_named = [a.href for a in page.inside("co-named", "a")]
    assert "/people/AC%2FDC%20Jones" in co_named and "/places/Dhaka" in co_named
    assert len(page.inside("latest", "a")) == min(data["total"], 10)


@pytest.mark.parametrize("name", ODD)
def test_odd_names_round_trip_and_are_escaped(client, name):
    page_html = client.get("/people/Kim%20Jong%20Un").get_data(as_text=True)
    link = next(a.href for a in Page(page_html).inside("co-named", "a") if a.text == name)
    response = client.get(link)
    assert response.status_code == 200, link
    assert Page(response.get_data(as_text=True)).one("h1").text == name
    assert "<b>Bold</b>" not in response.get_data(as_text=True)
    assert client.get("/api" + link).json["name"] == name
    if name != "..":
        assert link == "/people/" + quote(name, safe="")


def test_place_with_a_slash(client):
    data = client.get("/api/places/" + quote("St. Louis/Missouri", safe="")).json
    assert data["name"] == "St. Louis/Missouri" and data["total"] == len(ODD)


def test_article_pages_facet_values_and_chips_link_to_entity_pages(client):
    article = Page(client.get("/articles/a1").get_data(as_text=True))
    assert "/people/Kim%20Jong%20Un" in [a.href for a in article.find("a", "entity-page")]
    assert "/places/Seoul" in [a.href for a in article.find("a", "entity-page")]
    results = Page(client.get("/?q=rockets&person=Kim+Jong+Un").get_data(as_text=True))
    links = [a.href for a in results.find("a", "entity-page")]
    assert "/people/Kim%20Jong%20Un" in links  # the chip and the facet value
    assert "/places/North%20Korea" in links


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/people/Nobody%20At%20All", 404),
        ("/api/people/Nobody", 404),
        ("/places/Atlantis", 404),
        ("/api/places/a%00b", 400),
        ("/people/" + "x" * 300, 400),
        ("/api/people/", 404),
        ("/people/?name=", 404),
        ("/countries/Japan", 404),
    ],
)
def test_bad_names_get_the_error_shape(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    if url.startswith("/api/"):
        assert set(response.json["error"]) == {"status", "title", "message", "parameter"}
    assert "Traceback" not in response.get_data(as_text=True)
