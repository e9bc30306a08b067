"""Places resolved in context, named as readers write them, and found under every spelling:
on real articles (Dhaka Tribune, bdnews24 pages), the real spaCy model and a real index."""

from __future__ import annotations

import itertools
import re

import pytest

from helpers import bbc_article, shared_path
from search.article import Article, Origin, Place
from search.entities.extract import EntityExtractor
from search.entities.gazetteer import english_form, place_table
from search.entities.place_spans import parenthesised_countries
from search.entities.places import canonical_value, gazetteer, outlet_country, party_tag_states, used_only_as_a_side
from search.readers import read_file
from search.results import SearchRequest

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def extractor():
    with EntityExtractor() as extractor:
        yield extractor


def dhaka_tribune(word: str, limit: int) -> list[Article]:
    """The first `limit` Dhaka Tribune articles whose text names `word`."""
    articles = (
        item
        for item in read_file(shared_path("corpus", "dhakatribune", "dhakatribune_news_raw.csv"))
        if isinstance(item, Article) and word in item.text
    )
    return list(itertools.islice(articles, limit))


def pages_naming(*words: str) -> list:
    folder = shared_path("corpus", "pages")
    return sorted(p for p in folder.glob("*.txt") if any(w in p.read_text(encoding="utf-8") for w in words))


# --- places in context ----------------------------------------------------------------------


def test_a_dhaka_neighbourhood_is_in_bangladesh_not_iran(extractor):
    # GeoNames lists "Gulshan" among the other names of Tabas, Iran; in a Dhaka paper it is the
    # neighbourhood (from the `bangladesh` package's Dhaka thanas).
    articles = dhaka_tribune("Gulshan", limit=4)
    assert len(articles) == 4
    for entities in extractor.extract_many(articles):
        places = set(entities.places)
        assert "Iran" not in entities.countries
        if any(p.name == "Gulshan" for p in places):
            assert Place("Gulshan", "Bangladesh") in places


def test_a_neighbourhood_needs_the_article_to_be_near_it():
    g = gazetteer()
    assert g.resolve("Gulshan", {"Bangladesh"}) == Place("Gulshan", "Bangladesh")
    # Nothing in the article points to Bangladesh or Iran: a place, but no country rather than a wrong one.
    assert g.resolve("Gulshan") == Place("Gulshan", None)


def test_a_person_named_like_a_town_is_not_that_town(extractor):
    # "Yunus" is also an other name of Khan Yunis (Gaza); here it is Muhammad Yunus.
    articles = dhaka_tribune("Yunus", limit=6)
    assert len(articles) == 6
    for entities in extractor.extract_many(articles):
        assert "Khan Yunis" not in {p.name for p in entities.places}
        assert "Palestinian Territories" not in entities.countries


def test_the_outlet_is_a_prior():
    assert outlet_country("https://www.dhakatribune.com/bangladesh/politics/1/x") == "Bangladesh"
    assert outlet_country(None, "BBC News") == "United Kingdom"
    assert outlet_country("https://example.org/a") is None
    # An article from a Dhaka paper that names Mirpur and nothing else in Bangladesh.
    text = Article(
        id="m",
        title="Fire in Mirpur",
        origin=Origin("t"),
        url="https://www.dhakatribune.com/bangladesh/nation/2/fire",
        body=("A fire broke out at a garment factory in Mirpur on Sunday night.",),
    )
    with EntityExtractor() as extractor:
        assert Place("Mirpur", "Bangladesh") in extractor.extract(text).places


def test_famous_cities_and_namesakes():
    g = gazetteer()
    assert g.resolve("Moscow", {"United States"}) == Place("Moscow", "Russia")
    assert g.resolve("Birmingham", {"United States"}) == Place("Birmingham", "United States")
    assert g.resolve("Newcastle", {"United Kingdom"}) == Place("Newcastle upon Tyne", "United Kingdom")
    assert g.resolve("Midfield") is None  # only a small town of that name, nowhere the story is


def test_state_abbreviations_are_the_state():
    g = gazetteer()
    assert g.resolve("Fla.") == Place("Florida", "United States")
    assert g.resolve("Ga") == Place("Georgia", "United States")
    assert g.resolve_all(["Florida", "Fla."]) == [Place("Florida", "United States")]


def test_party_tags_name_the_state():
    # Real AllSides text: "Rep. Michael Capuano (D-Mass.)", "Nancy Pelosi, D-Calif.,".
    import gzip
    import json

    found: list[str] = []
    with gzip.open(shared_path("corpus", "allsides", "articles.jsonl.gz"), "rt", encoding="utf-8") as lines:
        for line in lines:
            body = json.loads(line).get("body") or ""
            if re.search(r"\b[RD]-(?:Calif|Mass|Texas|Fla)\.?[,)]", body):
                found = party_tag_states(body)
                break
    assert found and {"California", "Massachusetts", "Texas", "Florida"} & set(found)
    assert all(gazetteer().resolve(state) == Place(state, "United States") for state in found)
    assert party_tag_states("X-Men, Coca-Cola and COVID-19, in Kuala Lumpur") == []


def test_the_place_word_of_a_club_is_not_a_place(extractor):
    # Dhaka Tribune football reports that name Real Madrid but never Madrid the city.
    articles = [
        a for a in dhaka_tribune("Real Madrid", limit=40) if a.text.count("Madrid") == a.text.count("Real Madrid")
    ][:3]
    assert articles
    for entities in extractor.extract_many(articles):
        assert "Madrid" not in {p.name for p in entities.places}


def test_a_place_used_only_as_a_sports_side_is_the_club(extractor):
    # Dhaka Tribune cricket and football reports: "Lancashire's squad", "Leverkusen coach Alonso".
    text = "He has been included in Lancashire's squad for their match against Derbyshire."
    assert used_only_as_a_side("Lancashire", text)
    assert not used_only_as_a_side("Lancashire", text + " He grew up in Lancashire.")
    assert not used_only_as_a_side("England", "England captain Ben Stokes")  # a national side names its country
    articles = [a for a in dhaka_tribune("Leverkusen coach", limit=3) if " in Leverkusen" not in a.text]
    assert articles
    for entities in extractor.extract_many(articles):
        assert "Leverkusen" not in {p.name for p in entities.places}


def test_a_club_named_for_its_town_by_its_players_is_no_place(extractor):
    # BBC rugby reports: "Gloucester centre Henry Paul", "Bath prop Duncan Bell"; and the pattern of a
    # club before its player's national side ("Liverpool's England midfielder").
    assert used_only_as_a_side("Liverpool", "Liverpool's England midfielder Steven Gerrard was left out.")
    assert not used_only_as_a_side("Liverpool", "Liverpool's England midfielder was born in Liverpool.")
    for name, club in (
        ("sport/bell-set-for-england-debut.txt", "Gloucester"),
        ("sport/barkley-fit-for-match-in-ireland.txt", "Bath"),
    ):
        article = bbc_article(name)
        assert re.search(club + r" (?:centre|flanker|fly-half|prop)", article.text)
        assert club not in {p.name for p in extractor.extract(article).places}


def test_a_town_the_model_reads_as_an_organisation_after_for_or_with_is_no_place(extractor):
    # BBC: "a statement from Chelsea ... a very clear stance by Chelsea", "sponsorship deals with
    # Chelsea ... a payment from Chelsea": the club, also after "from", where a town would be a place.
    for name in ("sport/chelsea-sack-mutu.txt", "business/umbro-profits-lifted-by-euro-2004.txt"):
        article = bbc_article(name)
        assert re.search(r"\b(?:by|with) Chelsea\b", article.text) and "from Chelsea" in article.text
        assert "Chelsea" not in {p.name for p in extractor.extract(article).places}
    # A town after "from" where nothing reads it as an organisation stays a place (Dhaka Tribune).
    articles = [a for a in dhaka_tribune("Khilkhet", limit=10) if re.search(r"\b(?:from|to|in|at) Khilkhet\b", a.text)]
    assert any(Place("Khilkhet", "Bangladesh") in e.places for e in extractor.extract_many(articles))


def test_a_name_after_a_countrys_possessive_is_no_place_outside_that_country(extractor):
    # BBC: "eight of Alitalia's rivals, including Germany's Lufthansa, British Airways and Spain's
    # Iberia" (the airline; Iberia is no place in Spain); "Russia's Chechnya" is a place there.
    text = "The matter was raised by eight of Alitalia's rivals, including Germany's Lufthansa, British Airways and Spain's Iberia."
    found = extractor.extract(Article(id="i", title="Aid", origin=Origin("t"), body=(text,)))
    assert "Iberia" not in {p.name for p in found.places} and Place("Spain", "Spain") in found.places
    region = "Russia's Chechnya has been at war for a decade, officials in Moscow said."
    found = extractor.extract(Article(id="c", title="War", origin=Origin("t"), body=(region,)))
    assert Place("Chechnya", "Russia") in found.places


def test_a_country_in_brackets_is_a_place(extractor):
    # BBC: the team sheet of the tsunami Aid match ("B Lima (Samoa)"), where the model gives the
    # bracketed national sides no span; a club in brackets is none ("(Leicester)", "(Wasps)").
    article = bbc_article("sport/captains-lining-up-for-aid-match.txt")
    assert "(Samoa)" in article.text
    assert Place("Samoa", "Samoa") in extractor.extract(article).places
    assert parenthesised_countries("M Corry (Leicester), L Dallaglio (Wasps), S Sititi (Samoa)") == ["Samoa"]


def test_facilities_are_not_places_and_regions_are_whole(extractor):
    entities = extractor.extract(
        Article(
            id="f",
            title="Aid",
            origin=Origin("t"),
            body=(
                "Businesses in sub-Saharan Africa are failing to plan for HIV, a survey says.",
                "Officials at the White House said the plan would go to Congress next week.",
            ),
        )
    )
    names = {p.name for p in entities.places}
    assert "Sub-Saharan Africa" in names and "Africa" not in names
    assert not names & {"White House", "Congress"}


def test_lower_case_words_are_not_places(extractor):
    # "pulling strings in midfield": the model's GPE; also a town in Alabama.
    articles = dhaka_tribune("in midfield", limit=3)
    assert articles
    for entities in extractor.extract_many(articles):
        assert all(p.name != p.name.lower() for p in entities.places)
        assert "midfield" not in {p.name.casefold() for p in entities.places}


def test_a_neighbourhood_the_model_reads_as_a_name(extractor):
    # "... from Khilkhet to ...": the model calls it a PERSON or an ORG; in a Dhaka paper's story
    # the context makes it the neighbourhood.
    articles = [a for a in dhaka_tribune("Khilkhet", limit=10) if re.search(r"\b(?:from|to|in|at) Khilkhet\b", a.text)]
    assert articles
    found = [Place("Khilkhet", "Bangladesh") in entities.places for entities in extractor.extract_many(articles)]
    assert any(found)


# --- names as readers write them ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Sunāmganj", "Sunamganj"),
        ("Mānikganj", "Manikganj"),
        ("Lakshmīpur", "Lakshmipur"),
        ("Chattogram", "Chittagong"),
        ("Cumilla", "Comilla"),
        ("Łódź", "Lodz"),
        ("Cox's Bazar", "Cox's Bazar"),
    ],
)
def test_names_without_diacritics_in_their_english_form(written, expected):
    assert english_form(written) == expected


@pytest.mark.parametrize("written", ["Sunamganj", "Sunāmganj", "Chattogram", "Chittagong", "Cox's Bazar"])
def test_bangladeshi_places_resolve_to_the_english_form(written):
    place = gazetteer().resolve(written, {"Bangladesh"})
    assert place is not None and place.country == "Bangladesh"
    assert place.name.isascii() and place.name == english_form(place.name)


def test_small_places_are_known():
    table = place_table()
    assert any(c.kind == "upazila" for c in table.lookup("dhamrai"))  # an upazila of Dhaka district
    assert any(c.kind == "town" and c.country_code == "GB" for c in table.lookup("llanidloes"))  # ~2,000 people


@pytest.mark.parametrize(
    ("field", "typed", "canonical"),
    [
        ("place", "Chattogram", "Chittagong"),
        ("place", "Dacca", "Dhaka"),
        ("place", "Sunāmganj", "Sunamganj"),
        ("place", "Britain", "United Kingdom"),
        ("country", "U.S.", "United States"),
        ("country", "USA", "United States"),
        ("country", "America", "United States"),
    ],
)
def test_other_spellings_have_one_canonical_value(field, typed, canonical):
    assert canonical_value(field, typed) == canonical
    assert canonical_value(field, canonical) is None
    assert canonical_value(field, canonical.lower()) is None  # the same value: no notice


# --- an alias search on a real index ----------------------------------------------------------


@pytest.fixture(scope="module")
def pages_index(tmp_path_factory):
    from search.index.indexer import reindex

    index_dir = tmp_path_factory.mktemp("places-index")
    files = pages_naming("Chattogram", "Gulshan", "United States", "US ")
    report = reindex(files, index_dir, workers=1)  # real readers, real spaCy
    assert report.documents >= 20
    return index_dir


@pytest.fixture(scope="module")
def pages_searcher(pages_index):
    from search.engine.searcher import Searcher

    with Searcher.open(pages_index) as searcher:
        yield searcher


def ids(result) -> set[str]:
    return {hit.id for hit in result.results}


def test_place_aliases_find_the_same_articles(pages_searcher):
    canonical = pages_searcher.search(SearchRequest(q="place:Chittagong", page_size=100))
    alias = pages_searcher.search(SearchRequest(q="place:Chattogram", page_size=100))
    assert canonical.total >= 3
    assert ids(alias) == ids(canonical)
    assert alias.notice is not None and "place:Chattogram searched as Chittagong" in alias.notice
    assert canonical.notice is None or "searched as" not in canonical.notice
    # The facet counts the canonical value: every article found under it.
    places = {value.value: value.count for value in canonical.facets["place"]}
    assert places.get("Chittagong") == canonical.total
    assert "Chattogram" not in places


def test_place_filter_aliases_find_the_same_articles(pages_searcher):
    canonical = pages_searcher.search(SearchRequest(filters={"place": ("Chittagong",)}, page_size=100))
    alias = pages_searcher.search(SearchRequest(filters={"place": ("Chattogram",)}, page_size=100))
    assert canonical.total >= 3 and ids(alias) == ids(canonical)
    assert alias.notice is not None and "searched as Chittagong" in alias.notice
    # The facet shows the canonical value ticked, not the spelling typed at zero.
    ticked = [value for value in alias.facets["place"] if value.selected]
    assert [(v.value, v.count) for v in ticked] == [("Chittagong", alias.total)]


@pytest.mark.parametrize("typed", ['country:"U.S."', "country:USA", "country:US", "country:America"])
def test_country_aliases_find_the_same_articles(pages_searcher, typed):
    canonical = pages_searcher.search(SearchRequest(q='country:"United States"', page_size=100))
    alias = pages_searcher.search(SearchRequest(q=typed, page_size=100))
    assert canonical.total >= 3
    assert ids(alias) == ids(canonical)
    assert "searched as United States" in (alias.notice or "")


def test_the_neighbourhood_is_findable(pages_searcher):
    result = pages_searcher.search(SearchRequest(q="place:Gulshan", page_size=10))
    assert result.total >= 1
    assert all(place.country != "Iran" for hit in result.results for place in hit.places)


def test_the_web_filter_says_what_it_searched(pages_index):
    from web.app import create_app

    client = create_app({"INDEX_DIR": str(pages_index), "REFRESH_INTERVAL": 0}).test_client()
    canonical = client.get("/api/search", query_string={"place": "Chittagong", "size": 50}).json
    alias = client.get("/api/search", query_string={"place": "Chattogram", "size": 50}).json
    assert canonical["total"] >= 3 and alias["total"] == canonical["total"]
    assert "place:Chattogram searched as Chittagong" in alias["notice"]
    page = client.get("/", query_string={"country": "USA"})
    assert page.status_code == 200 and "country:USA searched as United States" in page.get_data(as_text=True)


def test_a_home_city_named_alone_is_that_city_even_read_as_an_organisation(extractor):
    # bdnews24: the model reads "Dhaka" alone as an organisation here. At home, a major city's name
    # alone is the city (or its government); from an outlet abroad the reading proves nothing.
    written = (
        "Coronavirus: Bangladesh to bring back nationals from Wuhan",
        "The Biman Bangladesh Airlines flight will depart Dhaka on Friday afternoon, an official said.",
    )

    def places(source: str) -> set[str]:
        article = Article(id="t", title=written[0], origin=Origin("test", 1), source=source, body=written[1:])
        return {p.name for p in extractor.extract(article).places}

    assert "Dhaka" in places("bdnews24.com")
    assert "Dhaka" not in places("Reuters")
    # Read as a product: "via Chattogram port" (bdnews24), shown in its English form.
    port = "The Serenitas N sailed from the Lianyungang port in China to the Mongla port via Chattogram port."
    article = Article(id="p", title="Coal ship", origin=Origin("test", 1), source="bdnews24.com", body=(port,))
    assert "Chittagong" in {p.name for p in extractor.extract(article).places}


def test_a_numbered_part_of_a_place_and_a_home_city_in_a_list(extractor):
    # Dhaka Tribune: "Gulshan-2" is a section of Gulshan; the model reads "Sylhet" in a list of
    # divisions as a person.
    def places(*paragraphs: str) -> set[str]:
        article = Article(
            id="t", title=paragraphs[0], origin=Origin("test", 1), source="Dhaka Tribune", body=paragraphs[1:]
        )
        return {p.name for p in extractor.extract(article).places}

    assert "Gulshan" in places(
        "Khaleda home", "From the airport, she went directly to her residence, Firoza, in Gulshan-2."
    )
    rally = "A rally will be held on May 27, involving youth from Dhaka, Mymensingh, and Sylhet divisions."
    assert {"Dhaka", "Sylhet"} <= places("Youth rally", rally)


def test_a_big_city_or_a_numbered_part_the_model_gave_no_span_is_still_named(extractor):
    # bdnews24, Dhaka Tribune and Reuters-21578 sentences where the model tags nothing at all.
    def places(source: str, *paragraphs: str) -> set[str]:
        article = Article(id="t", title=paragraphs[0], origin=Origin("test", 1), source=source, body=paragraphs[1:])
        return {p.name for p in extractor.extract(article).places}

    modi = "Modi led a discussion that started via videoconferencing at 5:30pm Dhaka time on Sunday."
    assert "Dhaka" in places("bdnews24.com", "Modi proposes coronavirus fund, makes $10m offer", modi)
    airport = "Chattogram airport on alert amid China's coronavirus outbreak"
    assert "Chittagong" in places("bdnews24.com", airport, "Chattogram does not have any direct flights to China.")
    home = "She went to her residence in Gulshan-2. “BNP Acting Chairman Tarique Rahman extended his greetings.”"
    assert "Gulshan" in places("Dhaka Tribune", "Tarique thanks people for reception given to Khaleda", home)
    # From an agency abroad the article must name the city's country.
    port = "The tender is for delivery at Chittagong/Chalna port by April 24, Food Ministry officials said."
    assert "Chittagong" in places("Reuters", "BANGLADESH TO BUY 10,000 TONNES SOYABEAN OIL", port)
    assert "Chittagong" not in places("Reuters", "Soyabean oil tender", port)
    # A word of a longer name names an organisation, not the city.
    college = "She studied at the University of Dhaka and later at Dhaka City College."
    assert "Dhaka" not in places("Dhaka Tribune", "Sonia Munni awarded", college)
