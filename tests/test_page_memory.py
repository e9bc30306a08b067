"""A page that remembers: the article page opened from a search keeps it (marks, back, next and
previous hit), "page 2 of 4", results per page, a filter box over long facet lists (facet_q), and the
dates' truths (undated, one day). The real Flask app over the web tests' real index."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from helpers import QUAYSIDE_COUNT, Page


def get_page(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.data[:300]
    return Page(response.get_data(as_text=True))


def hit_links(page: Page) -> list[str]:
    return [a.href for a in page.inside("hit-title", "a") if not any("related" in p.classes for p in a.parents)]


def test_results_say_page_of_pages_and_offer_page_sizes(client):
    # collapse=off: the quayside reports are templated near duplicates; here paging counts articles
    page = get_page(client, "/?q=quayside&collapse=off&page=2")
    assert page.one("span", "page-of").text == f"Page 2 of {-(-QUAYSIDE_COUNT // 10)}."
    sizes = {a.text: a.href for a in page.inside("page-sizes", "a")}
    assert list(sizes) == ["10", "25", "50", "100"]
    # 25 a page keeps the first hit shown (11th) in view: page 1 holds hits 1-25.
    assert parse_qs(urlsplit(sizes["25"]).query) == {"q": ["quayside"], "collapse": ["off"], "page_size": ["25"]}
    bigger = get_page(client, sizes["25"])
    assert len(hit_links(bigger)) == 25 and bigger.one("span", "page-of").text == "Page 1 of 2."


def test_article_from_a_search_marks_the_words_and_links_back_next_and_previous(client):
    # collapse=off: every quayside report is a hit (they are templated near duplicates)
    api = client.get("/api/search?q=quayside&page_size=100&snippets=false&collapse=off").json
    order = [h["id"] for h in api["results"]]
    results = get_page(client, "/?q=quayside&collapse=off&page=2")
    links = hit_links(results)
    assert [urlsplit(link).path.rsplit("/", 1)[-1] for link in links] == order[10:20]
    eleventh = links[0]
    assert parse_qs(urlsplit(eleventh).query) == {"q": ["quayside"], "collapse": ["off"], "hit": ["11"]}

    article = get_page(client, eleventh)
    marks = [m.text.lower() for m in article.inside("article-body", "mark")]
    assert marks and set(marks) == {"quayside"}
    back = article.one("a", "back-to-results").href
    assert back == "/?q=quayside&collapse=off&page=2#hit-11"
    assert article.one("span", "hit-position").text == f"Result 11 of {QUAYSIDE_COUNT}"
    following = article.one("a", "next-hit").href
    assert urlsplit(following).path == f"/articles/{order[11]}" and "hit=12" in following
    previous = article.one("a", "previous-hit").href  # across the page boundary: hit 10 is on page 1
    assert urlsplit(previous).path == f"/articles/{order[9]}" and "hit=10" in previous
    tenth = get_page(client, previous)
    assert tenth.one("a", "back-to-results").href == "/?q=quayside&collapse=off#hit-10"

    last = get_page(client, f"/articles/{order[-1]}?q=quayside&collapse=off&hit={QUAYSIDE_COUNT}")
    assert not last.find("a", "next-hit") and last.find("a", "previous-hit")
    first = get_page(client, f"/articles/{order[0]}?q=quayside&collapse=off&hit=1")
    assert not first.find("a", "previous-hit")
    plain = get_page(client, f"/articles/{order[0]}")
    assert not plain.find("nav", "hit-nav") and not plain.inside("article-body", "mark")


def test_filters_and_sort_travel_with_the_hit(client):
    api = client.get("/api/search?q=quayside&person=Margaret+Thatcher&sort=oldest&snippets=false").json
    page = get_page(client, "/?q=quayside&person=Margaret+Thatcher&sort=oldest")
    first = get_page(client, hit_links(page)[0])
    following = first.one("a", "next-hit").href
    assert urlsplit(following).path == f"/articles/{api['results'][1]['id']}"
    assert parse_qs(urlsplit(following).query) == {
        "q": ["quayside"],
        "person": ["Margaret Thatcher"],
        "sort": ["oldest"],
        "hit": ["2"],
    }


@pytest.mark.parametrize("hit", ["abc", "0", "-1", "99999999", "1e3"])
def test_a_bad_hit_is_a_400(client, hit):
    response = client.get(f"/articles/web-test-00?q=quayside&hit={hit}")
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)


def test_markup_in_the_query_and_the_text_stays_escaped(client):
    html = client.get("/articles/web-test-script?q=%3Cscript%3E+quayside&hit=1").get_data(as_text=True)
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_facet_filter_box_narrows_a_long_list_without_javascript(client):
    totals = client.get("/api/search?sort=oldest&snippets=false").json["facet_totals"]
    page = get_page(client, "/?sort=oldest")
    boxes = [i.attrs["id"] for i in page.find("input") if i.attrs.get("name") == "facet_q"]
    assert boxes == [f"facet-q-{name}" for name, count in totals.items() if count > 10]  # only long lists
    hidden = [
        (i.attrs["name"], i.attrs["value"])
        for i in page.inside("facet-filter", "input")
        if i.attrs.get("type") == "hidden"
    ]
    assert hidden[:2] == [("sort", "oldest"), ("expand", "person")]  # the search is kept
    narrowed = client.get("/api/search?q=quayside&expand=place&facet_q=DAM&snippets=false").json
    assert [v["value"] for v in narrowed["facets"]["place"]] == ["Rotterdam"]
    assert narrowed["facet_totals"]["place"] == 1
    page = get_page(client, "/?q=quayside&expand=place&facet_q=dam")
    listed = [e.text for e in page.find("span", "name")]
    assert "Rotterdam" in listed and "London" not in listed
    assert page.one("input", id="facet-q-place").attrs["value"] == "dam"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("facet_q=x", "facet_q"),
        ("expand=nope", "expand"),
        ("expand=person&facet_q=a%00b", "facet_q"),
        ("expand=person&facet_q=" + "x" * 201, "facet_q"),
        ("undated=maybe", "undated"),
        ("undated=1&from=1987-01-01", "undated"),
    ],
)
def test_malformed_facet_q_and_undated_are_400s_naming_them(client, query, parameter):
    response = client.get("/api/search?" + query)
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == parameter


def test_a_one_day_result_is_one_labelled_bar_not_a_block(client):
    page = get_page(client, "/?q=quayside&from=1987-04-02&to=1987-04-02")
    bars = page.find("rect", "bar-fill")
    assert len(bars) == 1
    assert float(bars[0].attrs["width"]) <= 1000 / 12
    assert page.one("div", "single").text.strip() == "2 Apr 1987: 1 article"


def test_an_article_lists_its_topics_as_filters(client):
    hit = client.get("/api/search?topic=agriculture&snippets=false").json["results"][0]
    article = client.get(f"/api/articles/{hit['id']}").json
    assert "Agriculture" in article["topics"]
    links = get_page(client, f"/articles/{hit['id']}").inside("topics", "a")
    assert [a.text for a in links] == article["topics"]
    assert all(a.params == {"topic": [a.text]} for a in links)
