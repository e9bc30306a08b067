"""One person, one facet value: the person rules on real articles with the real spaCy model.

Articles come from ../shared (never the hand-annotated ones of eval/entities, which only measure).
"""

from __future__ import annotations

import itertools
import re

import pytest

from helpers import shared_path
from search.article import Article
from search.entities.extract import EntityExtractor
from search.entities.people import clean_person, line_up_names, merge_people, not_places, person_mentions
from search.readers import read_file

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def extractor():
    with EntityExtractor() as extractor:
        yield extractor


def dhakatribune(title_start: str) -> Article:
    for item in read_file(shared_path("corpus", "dhakatribune", "dhakatribune_news_raw.csv")):
        if isinstance(item, Article) and item.title.startswith(title_start):
            return item
    raise AssertionError(f"no Dhaka Tribune article titled {title_start!r}")


def bbc(name: str) -> Article:
    (article,) = [
        item
        for item in read_file(shared_path("corpus", "bbc_news", "news", *name.split("/")))
        if isinstance(item, Article)
    ]
    return article


def test_titles_and_honorifics_are_not_part_of_a_name(extractor):
    # "Begum Khaleda Zia", "BNP Chairperson Khaleda Zia" and "Chief Adviser Muhammad Yunus" in the text.
    homecoming = extractor.extract(dhakatribune("Khaleda Zia returns home to massive public welcome"))
    assert "Begum Khaleda Zia" in homecoming_text() and "Khaleda Zia" in homecoming.people
    assert not [name for name in homecoming.people if name != "Khaleda Zia" and "Khaleda" in name]
    ict = extractor.extract(dhakatribune("Govt empowers ICT to ban political parties"))
    assert "Muhammad Yunus" in ict.people
    assert not [name for name in ict.people if "Adviser" in name or "Chairperson" in name]


def homecoming_text() -> str:
    return dhakatribune("Khaleda Zia returns home to massive public welcome").text


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("BNP Chairperson Khaleda Zia", "Khaleda Zia"),
        ("Begum Khaleda Zia", "Khaleda Zia"),
        ("Chief Adviser Muhammad Yunus", "Muhammad Yunus"),
        ("Prof Muhammad Yunus", "Muhammad Yunus"),
        ("Ziaur Rahman Bir Uttam", "Ziaur Rahman"),
        ("Md Jahangir Alam Chowdhury", "Md Jahangir Alam Chowdhury"),  # "Md" is part of the name
        ("Mohammad Wares", "Mohammad Wares"),
        ("Pope Francis", "Pope Francis"),  # the bare name is not a usable facet value
    ],
)
def test_title_lists(written, name):
    assert clean_person(written)[0] == name


@pytest.mark.parametrize(
    "not_a_name",
    [
        "BNP Chairperson",
        "Jubo Dal",
        "Carter Centre",
        "Rakhine State",
        "Bhasan Char",
        "Hillary Diane Rodham ClintonDemocrats",
    ],
)
def test_organisation_and_place_words_are_not_names(not_a_name):
    assert clean_person(not_a_name)[0] is None


def test_a_long_south_asian_name_stays_whole(extractor):
    # The model cuts "Mirza Fakhrul Islam Alamgir" into two PERSON spans that touch.
    entities = extractor.extract(dhakatribune("Khaleda Zia returns home to massive public welcome"))
    assert "Mirza Fakhrul Islam Alamgir" in entities.people
    assert "Mirza Fakhrul" not in entities.people and "Islam Alamgir" not in entities.people


def test_touching_person_spans_join_but_separate_ones_do_not():
    spans = [
        ("PERSON", "Mirza Fakhrul", "Secretary", "General", -1),
        ("PERSON", "Islam Alamgir", "Fakhrul", "Mirza", 0),
        ("PERSON", "Tarique Rahman", "and", "Alamgir", 1),
    ]
    assert [name for name, _ in person_mentions(spans)] == ["Mirza Fakhrul Islam Alamgir", "Tarique Rahman"]


def test_partial_mentions_join_the_full_name_within_an_article(extractor):
    final = extractor.extract(bbc("sport/chelsea-clinch-cup-in-extra-time.txt"))
    for full in ("Steven Gerrard", "Petr Cech", "Jose Mourinho", "John Arne Riise"):
        assert full in final.people
    for partial in ("Gerrard", "Cech", "Mourinho", "Riise"):
        assert partial not in final.people


def test_team_sheet_players_are_people(extractor):
    final = extractor.extract(bbc("sport/chelsea-clinch-cup-in-extra-time.txt"))
    # Named only in the line-ups at the end of the report.
    for player in ("Carragher", "Hyypia", "Finnan"):
        assert player in final.people
    assert "Subs Not Used" not in final.people
    towns = "Dhaka, Chittagong, Sylhet, Rajshahi, Khulna, Barisal, Rangpur and Mymensingh were flooded."
    assert line_up_names(towns, person_items=0) == []


def test_a_neighbourhood_the_model_reads_as_a_name_is_no_person(extractor):
    # "Her motorcade passed through Khilkhet, Kurmitola and ...": the model calls Khilkhet a
    # PERSON; in a Dhaka paper's story it is a neighbourhood of the article's country.
    named = (
        item
        for item in read_file(shared_path("corpus", "dhakatribune", "dhakatribune_news_raw.csv"))
        if isinstance(item, Article) and re.search(r"\b(?:Khilkhet|Banani)\b", item.text)
    )
    articles = list(itertools.islice(named, 12))
    assert len(articles) >= 3
    for entities in extractor.extract_many(articles):
        assert not {"Khilkhet", "Banani"} & {*entities.people, *entities.partial_people}
    # Where nothing puts the article in Bangladesh, a single word of that name stays a mention.
    assert not_places([("Khilkhet", False)], []) == [("Khilkhet", False)]
    assert not_places([("Khilkhet", False)], [], outlet="Bangladesh") == []
    assert not_places([("Khilkhet", True)], [], outlet="Bangladesh") == [("Khilkhet", True)]  # a title: a person


def test_merge_people_forms():
    assert merge_people([("George W. Bush", False), ("George W Bush", False), ("Bush", True)]) == ("George W. Bush",)
    assert merge_people([("AMM Nasir", False), ("AMM Nasir Uddin", False)]) == ("AMM Nasir Uddin",)
    assert merge_people([("C Paterson", False), ("Chris Paterson", False)]) == ("Chris Paterson",)
    # Two full names the surname fits: it stays apart.
    assert set(merge_people([("James Baker", True), ("Howard Baker", True), ("Baker", True)])) == {
        "James Baker",
        "Howard Baker",
        "Baker",
    }


def test_people_a_record_gives_go_through_the_same_rules(tmp_path):
    """JSON Lines `people` and `places` are taken instead of the model's, normalised alike."""
    from search.engine.searcher import Searcher
    from search.index.indexer import reindex
    from search.results import SearchRequest

    source = dhakatribune("Khaleda Zia returns home to massive public welcome")
    record = {
        "id": "given-1",
        "title": source.title,
        "body": list(source.body),
        "people": ["Begum Khaleda Zia", "BNP Chairperson Khaleda Zia", "Mirza Fakhrul Islam Alamgir", "Fakhrul"],
        "places": ["Dhaka", {"name": "London", "country": "United Kingdom"}],
    }
    corpus = tmp_path / "given.jsonl"
    import orjson

    corpus.write_bytes(orjson.dumps(record) + b"\n")
    report = reindex([corpus], tmp_path / "index", workers=1)
    assert (report.supplied, report.extracted) == (1, 0)
    assert "1 supplied by their records" in " ".join(report.summary())
    with Searcher.open(tmp_path / "index") as searcher:
        article = searcher.article("given-1")
        assert article.people == ["Khaleda Zia", "Mirza Fakhrul Islam Alamgir"]
        assert [(p.name, p.country) for p in article.places] == [("Dhaka", "Bangladesh"), ("London", "United Kingdom")]
        assert searcher.search(SearchRequest(filters={"person": ("Khaleda Zia",)})).total == 1
