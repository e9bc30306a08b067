"""One person, one facet value: the person rules on real articles with the real spaCy model.

Articles come from ../shared (never the hand-annotated ones of eval/entities, which only measure).
"""

from __future__ import annotations

import itertools
import re

import pytest

from helpers import bbc_article, shared_path
from search.article import Article, Origin
from search.entities.english import is_inflected_verb
from search.entities.extract import EntityExtractor
from search.entities.people import (
    clean_person,
    headline_people,
    line_up_names,
    merge_people,
    not_places,
    person_mentions,
    run_on_people,
)
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


def people(extractor, title: str, *body: str) -> tuple[str, ...]:
    """The people of an article made of a title and paragraphs."""
    return extractor.extract(Article(id="t", title=title, origin=Origin("test", 1), body=body)).people


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
        ("Richard Bush III", "Richard Bush III"),  # a numeral is no acronym
        ("John Major", "John Major"),  # a title word after a given name is the family name
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
        "Hillary Urges FBI",  # a title-case headline: an acronym ends no name
        "National Citizen",  # the National Citizen Party, cut short
        "Ronald Reagan-the-Unifier",  # an epithet run together
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
    final = extractor.extract(bbc_article("sport/chelsea-clinch-cup-in-extra-time.txt"))
    for full in ("Steven Gerrard", "Petr Cech", "Jose Mourinho", "John Arne Riise"):
        assert full in final.people
    for partial in ("Gerrard", "Cech", "Mourinho", "Riise"):
        assert partial not in final.people


def test_team_sheet_players_are_people(extractor):
    final = extractor.extract(bbc_article("sport/chelsea-clinch-cup-in-extra-time.txt"))
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
    # CNN, 2012: son and father in one article; the initials tell them apart.
    assert merge_people([("George W. Bush", False), ("George H.W. Bush", False)]) == (
        "George W. Bush",
        "George H.W. Bush",
    )
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


def _text_article(*paragraphs: str) -> Article:
    from search.article import Origin

    return Article(id="t", title=paragraphs[0], origin=Origin("test", 1), body=tuple(paragraphs[1:]))


def test_share_buttons_and_a_glued_dateline_are_not_part_of_a_name(extractor):
    # A Guardian photo caption and a Wall Street Journal dateline, as AllSides gives them.
    caption = extractor.extract(
        _text_article(
            "Obama in Hiroshima",
            "Facebook Twitter Pinterest Barack Obama embraces survivor Shigeaki Mori. Photograph: Carlos Barria",
        )
    )
    assert "Barack Obama" in caption.people
    assert not [name for name in caption.people if "Twitter" in name or "Pinterest" in name]
    assert clean_person("Twitter Pinterest")[0] is None
    mentions = person_mentions([("PERSON", "Fla.—President Donald Trump", ",", "BEACH", 1)])
    assert mentions == [("Donald Trump", True)]  # the title after the dash is still a title


def test_a_name_restated_in_full_is_one_name():
    # The Hill's hover cards: "former President Barack Obama Barack Hussein ObamaThe Memo: ..."
    assert clean_person("Barack Obama Barack Hussein")[0] == "Barack Obama"
    assert clean_person("Hillary Clinton Hillary Diane Rodham")[0] == "Hillary Clinton"
    assert clean_person("Mohammed Ali Mohammed")[0] == "Mohammed Ali Mohammed"  # one repeated word: one name


def test_a_government_named_after_a_person_is_that_person_and_an_institution_is_none():
    assert clean_person("Obama White House")[0] == "Obama"
    assert clean_person("George W. Bush White House")[0] == "George W. Bush"
    assert clean_person("Bush Administration")[0] == "Bush"
    assert clean_person("Ronald Reagan Presidential Library")[0] is None
    assert clean_person("Matt House")[0] == "Matt House"  # a surname House stays


def test_a_person_named_like_a_city_is_a_person_when_the_model_keeps_saying_so(extractor):
    # Politico, 2012: "Obama" is also a city in Japan; the article names him seven times.
    entities = extractor.extract(
        _text_article(
            "Obama's data advantage",
            "The Obama camp hopes to replicate the online excitement that helped him four years ago.",
            "“It’s all about the data this year and Obama has that,” said one strategist. Obama leads.",
            "Romney has not caught up with Obama on data, and Obama knows it.",
        )
    )
    assert "Obama" in {*entities.people, *entities.partial_people}
    # Named once, a city's name stays out of the people.
    once = person_mentions([("PERSON", "Durham", "in", "lived", -1)])
    assert once == []


def test_a_single_word_read_as_a_place_or_a_city_is_a_weak_mention(extractor):
    # The model reads "Hasina" as a place and a lone "Obama" as a person who is also a Japanese
    # city: neither is shown alone, both are weak mentions for the corpus-level name map to join
    # to a full name (or drop). Dhaka, a place of the article, is none.
    hasina = extractor.extract(_text_article("Protests", "Protesters in Dhaka demanded that Hasina step down."))
    assert "Hasina" not in hasina.people and "Hasina" in hasina.partial_people
    assert "Dhaka" not in hasina.partial_people
    obama = extractor.extract(
        _text_article(
            "Benghazi",
            "Republicans have accused Obama administration officials of giving the American people a false account.",
        )
    )
    assert "Obama" not in obama.people and "Obama" in obama.partial_people
    assert "Republicans" not in obama.partial_people  # read as a group: never a person's name


def test_a_government_named_after_a_person_read_as_an_organisation_is_a_weak_mention(extractor):
    # Reuters, 1987: "the Reagan Administration" is an organisation to the model.
    entities = extractor.extract(
        _text_article(
            "Japan trade", "Wallis was quoted as saying the Reagan Administration wants Japanese cooperation."
        )
    )
    assert "Reagan" in entities.partial_people and "Reagan" not in entities.people


def test_a_name_with_a_generational_suffix_is_another_person():
    # AllSides: "Donald Trump", "Donald Trump Jr." and "Donald John Trump" in one article.
    merged = merge_people([("Donald Trump", False), ("Donald Trump Jr", False), ("Donald John Trump", False)])
    assert merged == ("Donald John Trump", "Donald Trump Jr")


def test_a_name_run_on_in_a_title_case_headline_is_cut_to_the_name_the_prose_gives(extractor):
    # AllSides (New York Times, Breitbart): the model reads "Obama Asks" and "Donald Trump Rips
    # 'Far-Left" in Title Case headlines; the prose shows where each name ends.
    debate = people(
        extractor,
        "In Fallout After Debate, Obama Asks, Which Mitt Was That?",
        "The Romney team, feeling rejuvenated, fired back. “In full damage-control mode, President Obama today "
        "offered no defense of his record and no vision for the future,” said Ryan Williams, a Romney spokesman.",
        "Aides described Mr. Obama as out of practice at debating and said he made a conscious decision not to "
        "bring up some of the campaign’s favorite attack lines of recent months.",
    )
    assert "Obama" in debate and not any(name.startswith("Obama ") for name in debate)
    rips = people(
        extractor,
        "Donald Trump Rips ‘Far-Left’ Christianity Today Magazine for Endorsing Impeachment",
        "President Donald Trump reacted Friday to Christianity Today magazine and an article it published "
        "endorsing impeachment.",
    )
    assert "Donald Trump" in rips and not any("Rips" in name for name in rips)


def test_a_full_name_in_a_headline_stays_whole_beside_its_surname_in_the_prose():
    # The guard of the rule above: a headline's "Elizabeth Warren" (Townhall's real headline) where
    # the prose says only "Warren" (a line written for this test: no article in ../shared has that
    # shape) keeps its given name, which a run-on word would have lost.
    text = "Elizabeth Warren: Why Isn't the Minimum Wage Triple What it is Today?\nWarren asked the witness why."
    spans = [("PERSON", "Elizabeth Warren", "", "", -1), ("PERSON", "Warren", "", "", 5)]
    assert headline_people(spans, text) == spans


def test_a_name_the_model_gave_no_span_is_a_weak_mention(extractor):
    # Dhaka Tribune, "Meeting underway at EC to assess NID law": the model tags nothing in "the
    # Sheikh Hasina-led government"; the run of capitalised words is kept as a weak mention, for
    # the corpus-level name map to show where the corpus knows the name as a person.
    article = dhakatribune("Meeting underway at EC to assess NID law")
    entities = extractor.extract(article)
    assert "Sheikh Hasina" in entities.partial_people
    assert "Sheikh Hasina" not in entities.people
    assert not any("Commission" in name for name in entities.partial_people)


def test_a_surname_after_a_mans_title_is_not_the_name_of_a_woman_of_that_surname(extractor):
    # Washington Times (AllSides), "Obama breaks recent precedent, will stump during RNC": "Mr. Obama"
    # is not "First lady Michelle Obama", the only full name of that surname the article gives.
    article = Article(
        id="t",
        title="Obama breaks recent precedent, will stump during RNC",
        origin=Origin("test", 1),
        body=(
            "While Republicans meet in Tampa., Fla., to nominate Mitt Romney for president, Mr. Obama will be "
            "trying to claim some of the media spotlight with campaign trips to college campuses in Ames, Iowa, "
            "and Fort Collins, Colo., on Tuesday.",
            "Vice President Joseph R. Biden will be in Tampa for campaign events on the first two days of the "
            "Republicans’ party. First lady Michelle Obama will appear Wednesday on “The Late Show With David "
            "Letterman.”",
            "By going on the road, Mr. Obama is bucking protocol.",
        ),
    )
    people = extractor.extract(article).people
    assert "Michelle Obama" in people and "Obama" in people


def test_a_name_after_an_organisation_noun_is_no_person(extractor):
    # BBC: "the surprise buyer of oil and gas giant Yukos's main production division"; the model
    # reads "Yukos" as a person throughout. People in the same article stay.
    article = bbc_article("business/putin-backs-state-grab-for-yukos.txt")
    assert "giant Yukos" in article.text
    entities = extractor.extract(article)
    assert "Yukos" not in entities.people
    assert "Vladimir Putin" in entities.people
    # A trade of people is no such noun: "producer Harvey Weinstein" stays a person.
    assert person_mentions([("PERSON", "Harvey Weinstein", "producer", "film", 3)]) == [("Harvey Weinstein", True)]


def test_a_short_given_name_joins_the_full_one_but_a_fathers_name_does_not():
    # AllSides: "Treasury Secretary Steve Mnuchin", "Steven Mnuchin", "Mnuchin" in one article.
    assert merge_people([("Steven Mnuchin", True), ("Mnuchin", False), ("Steve Mnuchin", True)]) == ("Steven Mnuchin",)
    # "Benazir" is the father in "Farheen Rishta Binte Benazir" and "Salman" in "Mohammed bin Salman".
    names = [("Benazir Ahmed", True), ("Farheen Rishta Binte Benazir", False), ("Benazir", False)]
    assert merge_people(names) == ("Benazir Ahmed", "Farheen Rishta Binte Benazir")
    assert merge_people([("Mohammed bin Salman", True), ("Salman", False)]) == ("Mohammed bin Salman", "Salman")
    # Other given names stay apart ("Dan and Farris Wilks").
    assert merge_people([("Dan Wilks", False), ("Farris Wilks", False)]) == ("Dan Wilks", "Farris Wilks")


def test_a_pair_of_names_in_one_word_is_no_full_name_of_either():
    # AllSides: "President Obama" and "since the Obama-Biden administration" in one article.
    assert merge_people([("Obama", True), ("Obama-Biden", False)]) == ("Obama", "Obama-Biden")
    assert merge_people([("Cortez", False), ("Alexandria Ocasio-Cortez", True)]) == ("Alexandria Ocasio-Cortez",)


def test_a_city_name_read_once_as_a_person_is_left_to_the_corpus(extractor):
    # AllSides (North Korea, 2013): the article names Japan, where Obama is also a city; "The Obama
    # administration" stays a weak mention for the corpus-level name map to join to Barack Obama.
    body = (
        "Japan hopes its own missile defense system, developed jointly with the U.S., would be enough to protect "
        "it from a North Korean first strike. Tokyo has also made clear that it is prepared to intercept any North "
        "Korean missile launch overflying its territory.",
        'The Obama administration has already committed to a strategic "shift to Asia," and Pyongyang\'s shadow '
        "boxing has only strengthened its hand in a region that Beijing views as its own backyard.",
    )
    entities = extractor.extract(Article(id="k", title="North Korea", origin=Origin("t"), body=body))
    assert "Japan" in entities.countries
    assert "Obama" in entities.partial_people and "Obama" not in entities.people


def test_a_name_run_on_into_english_words_is_cut_to_the_name(extractor):
    # AllSides (NPR, 2012 and 2015; Townhall, 2020): the model reads "Slams Obama", "Obama To
    # Iranians" and "Presidents Obama" as names, which would be the articles' full names of "Obama".
    slams = people(
        extractor,
        "GOP Slams Obama For Saying Private Sector's 'Doing Fine'",
        "President Obama opened himself up to withering Republican attacks Friday via an off-hand statement he made "
        "in a brief White House news conference.",
        "Obama seemed to suggest that matters were going swimmingly for the private-sector part of the economy and "
        "that it was the reduction of government jobs that was the real problem.",
    )
    assert slams == ("Obama",)  # "Slams", an inflected verb form, begins no name
    iranians = people(
        extractor,
        "Obama To Iranians: 'Best Opportunity In Decades' For A Different Future",
        'President Obama is using a Nowruz message to tell Iranians that "we have the best opportunity in decades to '
        'pursue a different future between our countries."',
        'The talks "have made progress, but gaps remain," Obama said, adding: "The days and weeks ahead will be '
        'critical."',
    )
    assert iranians == ("Obama",)  # a surname the article titles: "To", written in lower case too, is no name
    pardons = people(
        extractor,
        "Have Dems Outraged Over Stone Commutation Forgotten Who Clinton and Obama Pardoned?",
        "Despite the pearl clutching from Democrats over President Trump’s decision to commute the prison sentence of "
        "Roger Stone, Fox News's “The Five” co-hosts reminded viewers that Presidents Obama and Clinton had much more "
        "controversial pardons.",
        "Watters pointed to Obama commuting the sentence of Chelsea Manning, the former Army Intelligence analyst who "
        "was found guilty of espionage and theft after giving classified information to WikiLeaks.",
    )
    assert "Obama" in pardons and not any("Presidents" in name for name in pardons)


def test_given_names_that_are_english_words_stay_with_their_surnames(extractor):
    # Fox (AllSides, 2018): "Mr. Kim" is a surname the article titles, and "Jong Un" after it is no English.
    kim = extractor.extract(
        _text_article(
            "OPINION: Mr. Trump, before you meet with Mr. Kim, these four things need to happen",
            "“When history comes calling, you answer the door.” That was the situation President Trump faced "
            "Thursday when he got an invitation to meet with North Korean dictator Kim Jong Un – and he did the right "
            "thing and answered the door.",
        )
    )
    assert "Kim Jong Un" in kim.people
    # CNN (AllSides, 2015): "Governor Jeb" titles a given name; "Bush" is English ("bush", a shrub) but
    # the article never writes it in lower case, so "Jeb Bush" stays whole.
    jeb = extractor.extract(
        _text_article(
            "Elite conservative moneymen remain on sidelines in 2016 race",
            "Those groups raised $250 million in the first half of 2015, records show, $103 million of which was "
            "raised by the super PAC supporting former Florida Gov. Jeb Bush.",
            "The Bush family, (left to right) former U.S. President George W., former Florida Governor Jeb, former "
            "President George H.W. and his wife Barbara, watch play.",
        )
    )
    assert "Jeb Bush" in jeb.people
    # Given names that are English words are base forms, irregular forms or nouns too ("Drew Hammill",
    # "Brooks Koepka"): never an inflected verb form, which "Slams" and "Disavowing" are.
    assert all(is_inflected_verb(word) for word in ("Slams", "Denies", "Disavowing", "WATCHED", "Assails"))
    assert not any(is_inflected_verb(word) for word in ("Will", "Bill", "Mark", "Chuck", "Rich", "Drew", "Brooks"))
    assert not any(is_inflected_verb(word) for word in ("James", "Jared", "Miles", "Said", "Ted"))
    # A middle initial is no English word: Washington Times (AllSides, 2012), "But House Speaker John A.
    # Boehner, Ohio Republican, said ..." and "Mr. Boehner said in a statement".
    text = "But House Speaker John A. Boehner, Ohio Republican, said\n“The Justice Department is out of excuses,” Mr. Boehner said"
    boehner = extractor.extract(_text_article("Holder", *text.split("\n"))).people
    assert "John A. Boehner" in boehner
    # "Will" before a surname the article titles (a line written for this test: no such article in ../shared).
    spans = [("PERSON", "Will Smith", "actor", "the", 3), ("PERSON", "Smith", "Mr.", ",", 9)]
    assert run_on_people(spans, "the actor Will Smith. Mr. Smith will star") == spans
