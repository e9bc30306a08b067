"""The byline on a real index built by the real CLI: stored, in the article JSON and page, and
searchable as byline: (author: too), apart from the outlet (source:)."""

from __future__ import annotations

import pytest

from helpers import write_jsonl
from search.cli import main
from search.engine.searcher import Searcher
from search.results import SearchRequest

RECORDS = [
    {
        "id": "rain",
        "title": "Rain floods Sylhet",
        "source": "bdnews24.com",
        "byline": "Staff Correspondent",
        "published": "2020-03-02T10:00:00+06:00",
        "body": ["Rain flooded low-lying streets in Sylhet."],
    },
    {
        "id": "grain",
        "title": "Wheat tender in Lima",
        "source": "Reuters",
        "byline": ["Janie Gabbett", "Ana Ruiz"],
        "published": "1987-02-26T15:01:00-05:00",
        "body": ["Peru bought 50,000 tonnes of wheat."],
    },
    {
        "id": "ferry",
        "title": "Ferry service resumes",
        "url": "https://www.dhakatribune.com/x/ferry",
        "body": ["The ferry between Paturia and Daulatdia resumed on Sunday."],
    },
]


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("byline")
    write_jsonl(folder / "corpus" / "a.jsonl", RECORDS)
    assert (
        main(
            [
                "reindex",
                "--corpus",
                str(folder / "corpus"),
                "--index",
                str(folder / "index"),
                "--workers",
                "1",
                "--quiet",
            ]
        )
        == 0
    )
    return folder / "index"


def ids(index_dir, q: str) -> set[str]:
    with Searcher.open(index_dir) as searcher:
        return {hit.id for hit in searcher.search(SearchRequest(q=q)).results}


def test_byline_is_searchable_apart_from_the_outlet(index_dir):
    assert ids(index_dir, "byline:gabbett") == {"grain"}
    assert ids(index_dir, "author:correspondent") == {"rain"}
    assert ids(index_dir, "byline:reuters") == set()  # the agency is the source, not the byline
    assert ids(index_dir, "source:reuters") == {"grain"}
    assert ids(index_dir, "gabbett") == set()  # plain words search title, subtitle and body


def test_byline_and_outlet_are_stored_and_shown(index_dir):
    from web import create_app

    with Searcher.open(index_dir) as searcher:
        grain, ferry = searcher.article("grain"), searcher.article("ferry")
    assert (grain.source, grain.byline) == ("Reuters", "Janie Gabbett, Ana Ruiz")
    assert (ferry.source, ferry.byline) == ("Dhaka Tribune", "")  # the outlet from the URL's site
    client = create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0}).test_client()
    data = client.get("/api/articles/grain").get_json()
    assert (data["source"], data["byline"]) == ("Reuters", "Janie Gabbett, Ana Ruiz")
    page = client.get("/articles/grain").get_data(as_text=True)
    assert '<span class="byline">Janie Gabbett, Ana Ruiz</span>' in page
