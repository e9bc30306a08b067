"""Every article link opens its article, whatever the id holds (a real index of such ids)."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import orjson
import pytest

from helpers import Page, build_index, write_jsonl
from web import create_app

ODD_IDS = [
    "wire/1987/03/story-1",  # slashes
    "../../etc/passwd",  # would climb out of /articles/
    "a/../b",
    "..",
    ".",
    "report.json",  # looks like the JSON twin
    "x" * 300,  # longer than the old 200-character cap
    "100% sure?#frag&q=1",
    "bad-\\xff.txt",  # how a file name that is not UTF-8 is written as an id
    "ঢাকা/খবর ১",
    "/leading-slash",
    "double//slash",
    "trailing-slash/",
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd-ids")
    records = [
        {
            "id": article_id,
            "title": f"Oddity number {i}",
            "published": "1987-03-02T10:00:00+00:00",
            "body": [f"The harbour oddity report number {i} was filed."],
        }
        for i, article_id in enumerate(ODD_IDS)
    ]
    write_jsonl(root / "corpus" / "odd.jsonl", records)
    build_index([root / "corpus"], root / "index")
    return root / "index"


@pytest.fixture(scope="module")
def client(index_dir):
    return create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0}).test_client()


def hrefs_to_articles(client) -> dict[str, str]:
    """Title -> link of every hit on the result page for the oddities."""
    page = Page(client.get("/?q=oddity&size=50").get_data(as_text=True))
    return {a.text.strip(): a.href for a in page.inside("hit-title", "a")}


def test_the_index_holds_every_odd_id(client):
    data = orjson.loads(client.get("/api/search?q=oddity&size=50").data)
    assert sorted(hit["id"] for hit in data["results"]) == sorted(ODD_IDS)


def test_every_result_link_opens_its_own_article(client):
    links = hrefs_to_articles(client)
    assert len(links) == len(ODD_IDS)
    for i, article_id in enumerate(ODD_IDS):
        href = links[f"Oddity number {i}"]
        # As a browser resolves it: dot segments removed; the link must stay an article link.
        resolved = urlsplit(urljoin("http://localhost/?q=oddity", href))
        assert resolved.path.startswith("/articles/"), (article_id, href)
        response = client.get(resolved.path + ("?" + resolved.query if resolved.query else ""))
        assert response.status_code == 200, (article_id, href)
        assert f"Oddity number {i}" in response.get_data(as_text=True)


def test_every_article_json_round_trips_its_id(client):
    with client.application.test_request_context():
        from web.article_urls import article_url

        for article_id in ODD_IDS:
            url = urlsplit(urljoin("http://localhost/", article_url(article_id, json=True)))
            assert url.path.startswith("/api/articles/")
            response = client.get(url.path + ("?" + url.query if url.query else ""))
            assert response.status_code == 200, (article_id, url)
            assert orjson.loads(response.data)["id"] == article_id


def test_the_json_twin_of_an_id_ending_in_json_is_still_reachable(client):
    assert orjson.loads(client.get("/articles/report.json.json").data)["id"] == "report.json"
    assert client.get("/articles/report.json").mimetype == "text/html"


def test_an_unknown_odd_id_is_a_404_not_a_500(client):
    for path in (
        "/articles/../../nope",
        "/articles/%2E%2E%2Fnope",
        "/api/articles/%ff%fe",
        "/articles/?id=",
        "/api/articles/" + "y" * 5000,
    ):
        assert client.get(path).status_code == 404, path


def test_a_real_server_opens_every_link(index_dir, client):
    from helpers import get, start, stop

    links = hrefs_to_articles(client)
    process, port = start("--workers", "1", "--index", str(index_dir))
    try:
        for i, article_id in enumerate(ODD_IDS):
            resolved = urlsplit(urljoin("http://localhost/?q=oddity", links[f"Oddity number {i}"]))
            status, body = get(port, resolved.path + ("?" + resolved.query if resolved.query else ""))
            assert status == 200 and f"Oddity number {i}".encode() in body, (article_id, resolved)
    finally:
        assert stop(process) == 0
