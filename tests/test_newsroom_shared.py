"""Entity pages, the page that remembers, undated and one-day dates, the topic facet and "did you
mean" on the real corpora: bdnews24 pages and CSV (keywords), Dhaka Tribune (category), the first
Reuters-21578 file (TOPICS), 300 AllSides records (topic) and BBC technology news (no dates), indexed
by the real indexer with spaCy, served by the real Flask app."""

from __future__ import annotations

import gzip
import re
from urllib.parse import quote, urlsplit

import pytest

from helpers import Page, shared_path
from search.topics import normalise_topic
from web import create_app

pytestmark = [pytest.mark.shared, pytest.mark.slow]  # builds an index of ~2,350 real articles with spaCy

ALLSIDES_RECORDS = 300


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from search.index.indexer import reindex

    root = tmp_path_factory.mktemp("newsroom")
    allsides = root / "allsides"
    allsides.mkdir()
    with (
        gzip.open(shared_path("corpus", "allsides", "articles.jsonl.gz"), "rb") as lines,
        open(allsides / "allsides-head.jsonl", "wb") as head,
    ):
        for number, line in enumerate(lines):
            if number == ALLSIDES_RECORDS:
                break
            head.write(line)
    corpus = [
        shared_path("corpus", "pages"),
        shared_path("corpus", "bdnews24", "corona_flu_bd_article_with_meta.csv"),
        shared_path("corpus", "dhakatribune", "dhakatribune_news_raw.csv"),
        shared_path("corpus", "reuters21578", "reut2-000.sgm"),
        allsides,
        shared_path("corpus", "bbc_news", "news", "tech"),
    ]
    reindex(corpus, root / "index", workers=1)
    return create_app({"INDEX_DIR": str(root / "index"), "REFRESH_INTERVAL": 0}).test_client()


def api(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    return response.json


def page(client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, response.data[:300]
    return Page(response.get_data(as_text=True))


# --- 4. entity pages --------------------------------------------------------------------------


def test_a_person_page_on_real_news(client):
    top = api(client, "/api/search?facet_limit=1&snippets=false")["facets"]["person"][0]["value"]
    data = api(client, "/api/people/" + quote(top.upper(), safe=""))  # case does not matter
    assert data["name"] == top
    searched = api(client, "/api/search?snippets=false&person=" + quote(top))
    assert data["total"] == searched["total"]
    dates = data["dates"]
    assert (
        sum(b["count"] for b in dates["buckets"]) + dates["before"] + dates["after"] + dates["undated"] == data["total"]
    )
    assert top not in [v["value"] for v in data["people"]] and data["people"] and data["places"]
    assert data["people"] == sorted(data["people"], key=lambda v: -v["count"])
    latest = [h["published"] for h in data["latest"] if h["published"]]
    assert latest == sorted(latest, reverse=True)
    surname = top.split()[-1].lower()
    assert all(
        surname in re.sub(r"</?mark>", "", h["title_html"] + " ".join(h["snippets"])).lower() for h in data["relevant"]
    )
    html = page(client, "/people/" + quote(top, safe=""))
    assert html.one("h1").text == top and html.find("a", "bar")
    # The people named with them are links to their own pages, which answer.
    for link in [a.href for a in html.inside("co-named", "a")][:5]:
        assert client.get(link).status_code == 200, link


def test_place_and_dotted_names_round_trip(client):
    people = api(client, "/api/search?facet_limit=0&snippets=false")["facets"]["person"]
    dotted = next(v for v in people if "." in v["value"])  # "George W. Bush"
    data = api(client, "/api/people/" + quote(dotted["value"], safe=""))
    assert (data["name"], data["total"]) == (dotted["value"], dotted["count"])
    place = api(client, "/api/places/Dhaka")
    assert place["name"] == "Dhaka" and place["total"] > 50
    assert "Bangladesh" in [v["value"] for v in place["countries"]]
    assert client.get("/places/Nowhere%2FAt%20All").status_code == 404


# --- 5. the page that remembers -------------------------------------------------------------


def test_an_article_opened_from_real_results_keeps_the_search(client):
    order = [h["id"] for h in api(client, "/api/search?q=coronavirus+vaccine&page_size=30&snippets=false")["results"]]
    results = page(client, "/?q=coronavirus+vaccine&page=2")
    assert results.one("span", "page-of").text.startswith("Page 2 of ")
    link = next(a.href for a in results.inside("hit-title", "a"))
    article = page(client, link)
    marked = {m.text.lower() for m in article.inside("article-body", "mark")}
    assert marked and marked <= {"coronavirus", "vaccine", "vaccines", "coronaviruses"}
    following = article.one("a", "next-hit").href
    assert urlsplit(following).path == "/articles/" + quote(order[11], safe="")
    assert page(client, following).one("a", "back-to-results").href.endswith("page=2#hit-12")


def test_thousands_of_names_are_a_filter_box_not_a_huge_page(client):
    totals = api(client, "/api/search?snippets=false")["facet_totals"]
    assert totals["person"] > 1000
    response = client.get("/?expand=person")
    assert response.status_code == 200 and len(response.data) < 150_000
    listed = Page(response.get_data(as_text=True)).find("span", "name")
    assert 100 <= len(listed) <= 100 + 4 * 11  # the expanded facet's 100, the other facets' first ten
    narrowed = page(client, "/?expand=person&facet_q=yunus")
    names = [e.text for e in narrowed.find("span", "name") if "yunus" in e.text.lower()]
    assert "Muhammad Yunus" in names


# --- 6. dates -------------------------------------------------------------------------------------


def test_undated_articles_are_counted_and_can_be_listed(client):
    everything = api(client, "/api/search?snippets=false")
    undated = everything["dates"]["undated"]
    assert undated >= 300  # BBC technology news carries no dates
    only = api(client, "/api/search?undated=true&snippets=false&page_size=100")
    assert only["total"] == undated and all(h["published"] is None for h in only["results"])
    assert only["dates"]["buckets"] == []
    html = page(client, "/")
    link = next(a for a in html.inside("timeline-undated", "a"))
    assert f"{undated:,} articles without a date" in html.one("p", "timeline-undated").text
    assert page(client, link.href).find("a", "chip")


def test_a_one_day_result_is_a_labelled_bar(client):
    day = api(client, "/api/search?q=oil&from=1987-03-02&to=1987-03-02&snippets=false")
    assert day["total"] > 1 and len(day["dates"]["buckets"]) == 1
    html = page(client, "/?q=oil&from=1987-03-02&to=1987-03-02")
    bar = html.one("rect", "bar-fill")
    assert float(bar.attrs["width"]) <= 1000 / 12
    assert html.one("div", "single").text.strip() == f"2 Mar 1987: {day['total']} articles"


# --- 7. the topic facet ---------------------------------------------------------------------------


def test_topics_from_every_source_normalised(client):
    topics = {
        v["value"]: v["count"] for v in api(client, "/api/search?facet_limit=0&snippets=false")["facets"]["topic"]
    }
    # Dhaka Tribune's "sports" category and its "sport" URL section are one value; so are AllSides' plurals.
    assert topics["Sport"] >= 100 and "Sports" not in topics
    assert "Election" in topics and "Elections" not in topics
    assert {"Earn", "Acq", "Crude"} <= set(topics)  # Reuters TOPICS
    assert {"Politics", "Entertainment", "Foreign affairs"} <= set(topics)  # Dhaka Tribune categories
    assert all(normalise_topic(value) == value for value in topics)
    assert len({value.casefold() for value in topics}) == len(topics)
    # A topic as typed, in any case or number, filters by the normalised value.
    assert api(client, "/api/search?topic=SPORTS&snippets=false")["total"] == topics["Sport"]
    keywords = api(client, "/api/search?source=bdnews24.com&topic=coronavirus&snippets=false")  # bdnews24 keywords
    assert keywords["total"] >= 10


# --- 8. did you mean ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["measles", "meals", "drill", "earthquake drill", "coronavirus dhaka"])
def test_no_correction_for_words_the_archive_has(client, query):
    data = api(client, "/api/search?snippets=false&q=" + quote(query))
    assert data["total"] > 0 and data["suggestion"] is None


def test_corrections_that_find_clearly_more(client):
    assert api(client, "/api/search?q=earthqake+drill")["suggestion"] == "earthquake drill"
    assert api(client, "/api/search?q=coronavirs")["suggestion"] == "coronavirus"
    html = page(client, "/?q=coronavirs")
    assert html.one("p", "suggestion").text.strip() == "Did you mean coronavirus?"


def test_no_suggestion_for_real_title_words(client):
    titles = [h["title"] for h in api(client, "/api/search?page_size=100&snippets=false")["results"]]
    words = [w for title in titles for w in re.findall(r"[A-Za-z]{4,}", title)][:60]
    suggested = {w: api(client, "/api/search?snippets=false&q=" + w)["suggestion"] for w in words}
    assert not {w: s for w, s in suggested.items() if s}
