"""The search page and the article page, through the real Flask app over a real index."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

import pytest

from helpers import PEOPLE, QUAYSIDE_COUNT, Page, shared_index
from web import create_app


def get_page(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    return Page(response.get_data(as_text=True))


def published_dates(client, ids: list[str]) -> list[str]:
    return [client.get(f"/api/articles/{i}").json["published"] for i in ids]


# --- the empty page: browse newest first ---------------------------------------------------


def test_empty_page_browses_newest_first_with_a_hint(client):
    page = get_page(client, "/")
    box = page.one("input", id="q")
    assert "autofocus" in box.attrs and box.attrs.get("value") in (None, "")
    assert page.one("label", for_="q").text.strip() == "Search the archive"
    assert "person:" in page.one("p", id="syntax-hint").text
    ids = page.hit_ids()
    assert len(ids) == 10
    dates = published_dates(client, ids)
    assert dates == sorted(dates, reverse=True)
    assert "in the archive" in page.one("p", "count").text


def test_landmarks_and_skip_link(client):
    page = get_page(client, "/?q=quayside")
    assert page.one("a", "skip-link").href == "#main"
    assert page.find("main", id="main") and page.find("header") and page.find("footer")
    assert page.find("form", role="search")
    assert page.find("nav", aria_label="Pages")
    assert page.find("aside", id="filters")


# --- searching ------------------------------------------------------------------------------


def test_query_shows_count_highlights_and_keeps_the_query(client):
    response = client.get("/?q=quayside")
    html = response.get_data(as_text=True)
    page = Page(html)
    box = page.one("input", id="q")
    assert box.attrs["value"] == "quayside"
    assert "autofocus" not in box.attrs  # only the empty page grabs focus
    assert f"{QUAYSIDE_COUNT} articles found" in page.one("p", "count").text
    assert "<mark>Quayside</mark>" in html or "<mark>quayside</mark>" in html
    assert len(page.hit_ids()) == 10
    for hit in page.find("li", "hit"):
        pass
    first = page.inside("hit", "time")[0]
    assert first.attrs["datetime"].startswith("1987-")


def test_results_link_people_and_places_as_filters_that_keep_the_query(client):
    page = get_page(client, "/?q=quayside")
    tags = page.find("a", "tag")
    assert tags
    person = next(t for t in tags if "person" in t.classes)
    assert person.params["q"] == ["quayside"]
    name = person.text.replace("Person:", "").strip()
    assert person.params["person"] == [name]
    filtered = get_page(client, person.href)
    ids = filtered.hit_ids()
    assert ids
    for article_id in ids:
        assert name in client.get(f"/api/articles/{article_id}").json["people"]


def test_facet_links_toggle_a_value_and_keep_all_other_state(client):
    url = "/?q=quayside&sort=newest&from=1987-01-01&to=1987-12-31"
    page = get_page(client, url)
    facet_links = page.inside("facet-values", "a")
    person_link = next(a for a in facet_links if a.params.get("person") == [PEOPLE[0]])
    assert person_link.params["q"] == ["quayside"]
    assert person_link.params["sort"] == ["newest"]
    assert person_link.params["from"] == ["1987-01-01"] and person_link.params["to"] == ["1987-12-31"]
    assert "page" not in person_link.params
    ticked = get_page(client, person_link.href)
    selected = [a for a in ticked.inside("facet-values", "a") if "selected" in a.classes]
    assert [a.params.get("person") for a in selected] == [None]  # its link now removes the value
    assert PEOPLE[0] in selected[0].text
    total_one = int(client.get("/api/search", query_string={"q": "quayside", "person": PEOPLE[0]}).json["total"])
    assert f"{total_one} articles found" in ticked.one("p", "count").text
    # A second person ORs with the first.
    second = next(a for a in ticked.inside("facet-values", "a") if a.params.get("person") == [PEOPLE[0], PEOPLE[1]])
    both = client.get("/api/search", query_string=[("q", "quayside"), ("person", PEOPLE[0]), ("person", PEOPLE[1])])
    assert both.json["total"] > total_one
    assert get_page(client, second.href).find("a", "chip")
    # Unticking goes back to the unfiltered search.
    back = get_page(client, selected[0].href)
    assert f"{QUAYSIDE_COUNT} articles found" in back.one("p", "count").text


def test_active_filters_are_removable_chips(client):
    page = get_page(client, f"/?q=quayside&place=Tokyo&person={PEOPLE[1]}")
    chips = page.find("a", "chip")
    assert len(chips) == 2
    tokyo = next(c for c in chips if "Tokyo" in c.text)
    assert "place" not in tokyo.params and tokyo.params["person"] == [PEOPLE[1]]
    assert page.one("a", "clear-all").params == {"q": ["quayside"]}


def test_show_all_values_of_one_facet():
    client = create_app({"INDEX_DIR": str(shared_index()), "FACET_LIMIT": 2}).test_client()
    page = get_page(client, "/?q=quayside&person=Helmut+Kohl")
    places = [a for a in page.inside("facet-values", "a") if "place" in a.params]
    assert len(places) == 2
    show_all = [a for a in page.find("a") if a.text.startswith("Show all")]
    assert [a.params["expand"] for a in show_all] == [["person"], ["place"], ["country"]]
    assert all(a.params["person"] == ["Helmut Kohl"] for a in show_all)
    expanded = get_page(client, show_all[1].href)
    places = [a for a in expanded.inside("facet-values", "a") if "place" in a.params]
    every = client.get("/api/search?q=quayside&person=Helmut+Kohl&facet_limit=0").json["facets"]["place"]
    assert len(every) > 2 and [a.params["place"][0] for a in places] == [v["value"] for v in every]
    fewer = next(a for a in expanded.find("a") if a.text == "Show fewer places")
    assert "expand" not in fewer.params
    # The other facets stay trimmed.
    assert len([a for a in expanded.inside("facet-values", "a") if "country" in a.params]) == 2
    assert client.get("/?expand=nonsense").status_code == 400


def test_timeline_bars_link_to_their_date_range(client):
    page = get_page(client, "/?q=quayside")
    svg = page.one("svg", "timeline-chart")
    assert svg.attrs.get("aria-label")
    bars = page.inside("timeline-chart", "a")
    assert len(bars) >= 3
    assert all(b.attrs.get("aria-label") and "article" in b.attrs["aria-label"] for b in bars)
    titles = page.inside("timeline-chart", "title")
    assert len(titles) == len(bars)
    bar = max(bars, key=lambda b: int(b.attrs["aria-label"].split(": ")[1].split()[0].replace(",", "")))
    start, end = bar.params["from"][0], bar.params["to"][0]
    assert bar.params["q"] == ["quayside"]
    narrowed = client.get(bar.href)
    assert narrowed.status_code == 200
    ids = Page(narrowed.get_data(as_text=True)).hit_ids()
    assert ids
    for published in published_dates(client, ids):
        assert start <= published[:10] <= end
    count = int(bar.attrs["aria-label"].split(": ")[1].split()[0].replace(",", ""))
    assert client.get("/api/search", query_string={"q": "quayside", "from": start, "to": end}).json["total"] == count


def test_date_form_and_partial_dates(client):
    page = get_page(client, "/?q=quayside&from=1987-02&to=1987-03")
    assert page.one("input", id="date-from").attrs["value"] == "1987-02-01"
    assert page.one("input", id="date-to").attrs["value"] == "1987-03-31"
    data = client.get("/api/search?q=quayside&from=1987-02&to=1987-03&size=100").json
    assert data["total"] > 0
    assert all("1987-02-01" <= hit["published"][:10] <= "1987-03-31" for hit in data["results"])


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_sort_by_date(client, sort):
    page = get_page(client, f"/?q=quayside&sort={sort}")
    dates = published_dates(client, page.hit_ids())
    assert dates == sorted(dates, reverse=sort == "newest")
    current = page.inside("sort", "a")
    assert [a.text for a in current if a.attrs.get("aria-current")] == [sort.capitalize()]


def test_pagination(client):
    # collapse=off: the quayside reports are templated near duplicates; here paging counts articles
    page1 = get_page(client, "/?q=quayside&collapse=off")
    nav = page1.inside("pagination", "a")
    assert [a.text.strip() for a in nav if a.attrs.get("aria-current") == "page"] == ["Page 1"]
    next_link = next(a for a in nav if a.attrs.get("rel") == "next")
    assert next_link.params == {"q": ["quayside"], "collapse": ["off"], "page": ["2"]}
    page2 = get_page(client, next_link.href)
    assert set(page2.hit_ids()).isdisjoint(page1.hit_ids())
    assert [a.text.strip() for a in page2.inside("pagination", "a") if a.attrs.get("aria-current")] == ["Page 2"]
    assert page2.one("ol", "hits").attrs["start"] == "11"
    last = get_page(client, "/?q=quayside&collapse=off&page=4")
    assert len(last.hit_ids()) == QUAYSIDE_COUNT - 30
    assert not [a for a in last.inside("pagination", "a") if a.attrs.get("rel") == "next"]
    beyond = get_page(client, "/?q=quayside&collapse=off&page=9")
    assert beyond.hit_ids() == []
    assert "only 4 pages" in beyond.one("div", "empty").text


def test_page_size(client):
    page = get_page(client, "/?q=quayside&size=5")
    assert len(page.hit_ids()) == 5
    next_link = next(a for a in page.inside("pagination", "a") if a.attrs.get("rel") == "next")
    assert next_link.params["page_size"] == ["5"]


def test_did_you_mean(client):
    page = get_page(client, "/?q=quaysdie")
    suggestion = page.one("p", "suggestion")
    link = page.inside("suggestion", "a")[0]
    assert link.text == "quayside" and link.params["q"] == ["quayside"]
    assert "Did you mean" in suggestion.text


def test_notice_when_the_query_was_read_as_plain_words(client):
    page = get_page(client, "/?q=%22quayside+traffic")
    assert page.one("p", "notice").text.strip()
    assert page.hit_ids()


def test_no_results(client):
    page = get_page(client, "/?q=xylophonequartet")
    empty = page.one("div", "empty")
    assert "No articles match" in empty.text and "xylophonequartet" in empty.text
    assert not page.find("nav", aria_label="Pages")


def test_no_results_with_filters_offers_to_drop_them(client):
    page = get_page(client, "/?q=quayside&place=Tokyo&from=1990-01-01")
    links = page.inside("empty", "a")
    assert links and links[0].params == {"q": ["quayside"]}


def test_new_query_keeps_the_chosen_filters(client):
    page = get_page(client, "/?q=quayside&place=Tokyo&from=1987-01-01")
    form = page.one("form", role="search")
    hidden = {
        (e.attrs["name"], e.attrs["value"])
        for e in page.find("input", type="hidden")
        if e.parents and form in e.parents
    }
    assert ("place", "Tokyo") in hidden and ("from", "1987-01-01") in hidden


# --- article page -------------------------------------------------------------------------


def test_article_page(client):
    hit = client.get("/api/search?q=quayside+traffic+Tokyo").json["results"][0]
    response = client.get(f"/articles/{hit['id']}")
    assert response.status_code == 200
    page = Page(response.get_data(as_text=True))
    article = client.get(f"/api/articles/{hit['id']}").json
    assert page.one("h1").text == article["title"]
    paragraphs = [p.text for p in page.inside("article-body", "p") if "provenance" not in p.classes]
    assert paragraphs == article["body"]
    assert page.find("time", datetime=article["published"])
    # People and places link to their entity pages (tests/test_entity_pages.py).
    person_links = [a for a in page.inside("article-side", "a") if a.href.startswith("/people/")]
    assert [a.text for a in person_links] == article["people"]
    for link in person_links:
        assert link.href == "/people/" + quote(link.text, safe="")
    place_links = [a for a in page.inside("article-side", "a") if a.href.startswith("/places/")]
    assert [a.text for a in place_links] == [p["name"] for p in article["places"]]
    related = page.inside("related", "a")
    assert related and all(a.href.startswith("/articles/") for a in related)
    assert f"/articles/{hit['id']}" not in [a.href for a in related]
    assert page.find("link", rel="alternate", type="application/json")


def test_article_place_link_finds_the_article(client):
    article = client.get("/api/articles/web-test-00").json
    place = article["places"][0]["name"]
    data = client.get("/api/search", query_string={"place": place, "size": 100, "collapse": "off"}).json
    assert "web-test-00" in [h["id"] for h in data["results"]]


def test_unknown_article_is_a_friendly_404(client):
    page = get_page(client, "/articles/no-such-article", status=404)
    assert page.one("h1").text == "Not Found"
    assert "no-such-article" in page.one("p", "lead").text
    assert page.find("a", href="/")


# --- errors as pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("page=abc", "page"),
        ("page=0", "page"),
        ("size=100000", "size"),
        ("sort=loudest", "sort"),
        ("from=1987-05-01&to=1987-01-01", "from"),
        ("from=1987-13-45", "from"),
        ("to=yesterday", "to"),
    ],
)
def test_bad_parameters_are_friendly_400_pages(client, query, parameter):
    page = get_page(client, f"/?{query}", status=400)
    assert page.one("h1").text == "Bad Request"
    assert parameter in page.one("p", "lead").text
    assert page.inside("message-page", "code")[0].text == parameter


def test_unknown_page_is_404_and_wrong_method_is_405(client):
    assert get_page(client, "/nothing/here", status=404).one("h1").text == "Not Found"
    response = client.post("/")
    assert response.status_code == 405 and response.mimetype == "text/html"
    assert "GET" in response.headers["Allow"]


def test_missing_index_gives_a_friendly_page_not_a_traceback(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "none")}).test_client()
    response = client.get("/?q=quayside")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "dateline reindex" in text and "Traceback" not in text
    assert response.headers["Retry-After"]
    data = client.get("/api/search?q=quayside")
    assert data.status_code == 503 and "dateline reindex" in data.json["error"]["message"]


def test_static_stylesheet(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert b"@media" in response.data


def test_dates_in_the_future_are_fine(client):
    assert client.get(f"/?from={date.today().isoformat()}").status_code == 200
