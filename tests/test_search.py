"""The searcher on a real Whoosh index of hand-made articles (every query form, facet rule, sort, page)."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from helpers import ARTICLES, index_articles
from search.article import Entities, Place
from search.engine.searcher import IndexMissing, Searcher
from search.index.schema import to_document
from search.results import BadRequest, SearchRequest
from search.settings import Limits

MAX_PAGE_SIZE = Limits().max_page_size
MAX_QUERY_LENGTH = Limits().max_query_length


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory) -> Path:
    return index_articles(tmp_path_factory.mktemp("search-index"))


@pytest.fixture(scope="session")
def searcher(index_dir):
    with Searcher.open(index_dir) as opened:
        yield opened


@pytest.fixture(scope="session")
def strict(index_dir):
    """The query language alone: side-by-side words are read as any word only when no article
    has them all. (With ten articles, the product's default would widen almost every query.)"""
    with Searcher.open(index_dir, any_word_below=1) as opened:
        yield opened


def ids(result) -> list[str]:
    return [hit.id for hit in result.results]


def found(searcher, q: str, **kwargs) -> set[str]:
    result = searcher.search(SearchRequest(q=q, page_size=MAX_PAGE_SIZE, **kwargs))
    assert result.total == len(result.results)
    return set(ids(result))


# --- the query language ---------------------------------------------------------------------


def test_all_words_are_required_by_default(strict):
    assert found(strict, "rocket launch") == {"a1", "a2", "a7"}
    assert found(strict, "rocket seoul") == {"a1"}


def test_any_word_when_no_article_has_them_all(strict):
    result = strict.search(SearchRequest(q="rocket zanzibar"))
    assert result.total == 4  # every article with "rocket(s)"
    assert result.notice.startswith("No article has all the words; showing articles with any of them")
    assert result.interpreted_as == "(rocket OR zanzibar)"
    exact = strict.search(SearchRequest(q="rocket seoul"))
    assert exact.notice is None and exact.interpreted_as is None


def test_phrases_keep_word_order_across_stop_words(strict):
    assert found(strict, '"japan bank"') == {"a4"}  # Japan's bank
    assert "a3" in found(strict, '"bank of japan"')
    assert found(strict, '"bank of japan" governor') == {"a3"}
    assert found(strict, "bank japan") == {"a3", "a4"}


def test_boolean_operators_and_parentheses(strict):
    assert found(strict, "seoul OR dhaka") == {"a1", "a5", "a9"}
    assert found(strict, "rocket NOT korea") == {"a2", "a6", "a7"}
    assert found(strict, "rocket -korea -model") == {"a2", "a6"}
    assert found(strict, "(seoul OR tokyo) AND ueda") == {"a9"}
    assert found(strict, "rocket (seoul OR weather)") == {"a1", "a2"}
    assert found(strict, "+rocket zanzibar") == {"a1", "a2", "a6", "a7"}  # + holds in the fallback


def test_lower_case_operators_are_words(strict):
    # "and" and "not" are common words, not operators: the query is "rocket launch".
    assert found(strict, "rocket and launch") == {"a1", "a2", "a7"}
    assert found(strict, "rocket not korea") == found(strict, "rocket korea")


def test_field_queries(strict):
    assert found(strict, "title:rocket") == {"a1", "a2", "a7"}
    assert found(strict, 'person:"kim jong un"') == {"a1", "a8"}
    assert found(strict, 'person:"KIM JONG UN" launch') == {"a1"}
    assert found(strict, "person:ueda") == {"a3", "a9"}  # a word of the name
    assert found(strict, "place:seoul") == {"a1", "a9"}
    assert found(strict, 'country:"south korea"') == {"a1", "a9"}
    assert found(strict, "source:afp") == {"a2", "a7"}
    assert found(strict, "person:nobody") == set()


def test_wildcards_and_fuzzy_words(strict):
    assert found(strict, "rock*") == {"a1", "a2", "a6", "a7"}
    assert found(strict, "rockt~") == {"a1", "a2", "a6", "a7"}
    assert found(strict, "ban?") == {"a3", "a4"}


def test_dates_in_the_query_use_the_articles_own_day(strict):
    assert found(strict, "date:2023-07") == {"a1", "a2", "a5"}  # a5 is 30 June in UTC
    assert found(strict, "date:[2023-06-01 TO 2023-06-30]") == {"a3", "a4"}
    assert found(strict, "published:>2023-07") == {"a8"}
    assert found(strict, "date:<2021") == {"a10"}
    assert found(strict, "rocket date:2023") == {"a1", "a2"}


# --- the product's default: all words, widened to any word when that finds less than a page -----


def test_few_all_word_matches_widen_to_any_word_ranked_by_score(searcher):
    result = searcher.search(SearchRequest(q="rocket launch", page_size=MAX_PAGE_SIZE))
    assert set(ids(result)) == {"a1", "a2", "a6", "a7"}  # rocket(s) or launch
    assert set(ids(result)[:3]) == {"a1", "a2", "a7"}  # the three with both words lead on score
    assert result.notice.startswith("Only 3 articles have all the words; showing articles with any of them")
    assert "+" in result.notice  # how to insist on every word
    assert result.interpreted_as == "(rocket OR launch)"
    scores = [hit.score for hit in result.results]
    assert scores == sorted(scores, reverse=True)


def test_any_word_order_is_bm25f_and_proximity_alone(searcher, index_dir, monkeypatch):
    """No words-matched-first sort: the order is natural_query's on Whoosh with the proximity
    bonus (search.engine.proximity), score for score. (With feedback off: the words of the best
    hits rescore them too, which tests/test_feedback.py covers on real text.)"""
    import numpy as np

    from search.engine import feedback, proximity, ranking
    from search.index.store import open_live_index
    from search.query.natural import natural_query

    monkeypatch.setattr(feedback, "WEIGHT", 0.0)

    q = "rocket launch seoul"  # only a1 has all three; a2 has two of them, in its headline
    result = searcher.search(SearchRequest(q=q, page_size=MAX_PAGE_SIZE))
    assert result.notice.startswith("Only 1 article has all the words")
    assert result.interpreted_as == "(rocket OR launch OR seoul)"
    ix = open_live_index(index_dir)
    with ix.searcher(weighting=ranking.weighting()) as s:
        query = natural_query(q, schema=ix.schema)
        hits = s.search(query, limit=None)
        ids_of = {h.docnum: h["id"] for h in hits}
        docnums, scores = proximity.rerank(
            s,
            np.asarray([h.docnum for h in hits]),
            np.asarray([h.score for h in hits]),
            proximity.typed_words(query),
        )
        expected = [(ids_of[d], round(float(x), 4)) for d, x in zip(docnums.tolist(), scores.tolist())]
    assert [(hit.id, hit.score) for hit in result.results] == expected
    order = ids(result)
    assert order[0] == "a2" and order.index("a2") < order.index("a1")  # score, not words matched
    assert set(order) == {"a1", "a2", "a6", "a7", "a9"}


def test_enough_all_word_matches_keep_every_word_required(index_dir):
    with Searcher.open(index_dir, any_word_below=3) as three:
        result = three.search(SearchRequest(q="rocket launch"))
        assert set(ids(result)) == {"a1", "a2", "a7"} and result.total == 3
        assert result.notice is None and result.interpreted_as is None
    with Searcher.open(index_dir, any_word_below=4) as four:
        assert four.search(SearchRequest(q="rocket launch")).total == 4


def test_and_or_plus_insists_on_every_word(searcher):
    for q in ("rocket AND launch", "+rocket +launch", "rocket +launch"):
        result = searcher.search(SearchRequest(q=q, page_size=MAX_PAGE_SIZE))
        assert set(ids(result)) == {"a1", "a2", "a7"}, q
        assert result.notice is None, q


def test_widening_counts_under_the_filters(searcher):
    # From AFP, both articles with "rocket" also say "launch": any word would add nothing.
    result = searcher.search(SearchRequest(q="rocket launch", filters={"source": ("AFP",)}))
    assert set(ids(result)) == {"a2", "a7"}
    assert result.notice is None and result.interpreted_as is None


def test_filters_typed_in_the_query_hold_when_widened(searcher):
    result = searcher.search(SearchRequest(q="rocket kim date:2023-07", page_size=MAX_PAGE_SIZE))
    assert result.notice and "any of them" in result.notice
    assert set(ids(result)) == {"a1", "a2"}  # July 2023 articles with rocket or kim; not a8 (August)
    assert result.interpreted_as == "date:[2023-07-01 TO 2023-07-31] (rocket OR kim)"
    one_word = searcher.search(SearchRequest(q="rocket person:ueda"))
    assert one_word.total == 0 and "any of them" not in (one_word.notice or "")


@pytest.mark.parametrize(
    "q",
    [
        '"unbalanced quote rocket',
        "(rocket launch",
        "rocket)",
        "AND",
        "rocket AND",
        "OR rocket",
        "NOT",
        "title:",
        "person:",
        "[rocket",
        "date:[2023 TO",
        "date:2023-13",
        "date:[2024 TO 2023]",
        "a*",
        "((((((((((((((((((((((rocket))))))))))))))))))))))",
        "title:(rocket)",
        "rocket\x00launch\x07",
        "-",
        "+",
        '""',
        "()",
    ],
)
def test_bad_syntax_never_fails_and_says_so(searcher, q):
    result = searcher.search(SearchRequest(q=q))
    assert result.notice, q
    assert result.total >= 0


def test_bad_syntax_is_read_as_words(strict, searcher):
    result = strict.search(SearchRequest(q='"rocket launch'))
    assert set(ids(result)) == {"a1", "a2", "a7"}
    assert result.interpreted_as == "rocket launch"
    widened = searcher.search(SearchRequest(q='"rocket launch'))
    assert "quotation mark" in widened.notice and "any of them" in widened.notice
    assert widened.interpreted_as == "(rocket OR launch)"


def test_long_queries_are_cut_with_a_notice(searcher):
    result = searcher.search(SearchRequest(q="rocket " * (MAX_QUERY_LENGTH // 3)))
    assert "longer than" in result.notice
    assert result.total == 4


def test_random_junk_never_raises(searcher):
    rng = random.Random(20240501)
    alphabet = list("abc rocket seoul AND OR NOT ()\"*?~-+:[]{}^\\/<>&;'\x00\t\n") + [
        "title:",
        "person:",
        "date:",
        "TO",
        "date:[",
        "~2",
        "é",
        "ß",
        "🙂",
        "\u202e",
    ]
    for _ in range(400):
        q = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        result = searcher.search(SearchRequest(q=q, page_size=3))
        assert result.total >= 0


def test_only_common_words(searcher):
    result = searcher.search(SearchRequest(q="the of and"))
    assert result.total == 0
    assert "common words" in result.notice


# --- facets ------------------------------------------------------------------------------------


def values(result, facet: str) -> dict[str, tuple[int, bool]]:
    return {v.value: (v.count, v.selected) for v in result.facets[facet]}


def test_facets_count_the_whole_result_set(searcher):
    result = searcher.search(SearchRequest(q="rocket", page_size=1))
    assert len(result.results) == 1
    assert values(result, "source") == {"AFP": (2, False), "Reuters": (1, False), "Test & Co": (1, False)}
    assert values(result, "place")["North Korea"] == (1, False)


def test_facet_values_display_as_written(searcher):
    result = searcher.search(SearchRequest(q=""))
    assert "Kim Jong Un" in values(result, "person")
    assert "bdnews24.com" in values(result, "source")


def test_selected_values_keep_their_siblings(searcher):
    result = searcher.search(SearchRequest(q="", filters={"place": ("seoul",)}))
    assert set(ids(result)) == {"a1", "a9"}
    place = values(result, "place")
    # Counts for place ignore the place selection: Tokyo stays pickable.
    assert place["Seoul"] == (2, True)
    assert place["Tokyo"][0] == 2 and place["Tokyo"][1] is False
    # Other facets are narrowed by it.
    assert values(result, "person") == {"Kazuo Ueda": (1, False), "Kim Jong Un": (1, False)}


def test_values_of_one_facet_are_ored_and_facets_anded(searcher):
    assert found(searcher, "", filters={"place": ("Seoul", "Dhaka")}) == {"a1", "a5", "a9"}
    assert found(searcher, "", filters={"place": ("Seoul", "Dhaka"), "person": ("Kazuo Ueda",)}) == {"a9"}
    result = searcher.search(SearchRequest(filters={"place": ("Seoul", "Dhaka"), "person": ("Kazuo Ueda",)}))
    # person counts: under the place selection only.
    assert values(result, "person") == {"Kazuo Ueda": (1, True), "Kim Jong Un": (1, False), "Sheikh Hasina": (1, False)}


def test_selected_values_are_listed_even_at_zero(searcher):
    result = searcher.search(SearchRequest(q="coffee", filters={"person": ("Kim Jong Un", "Nobody Known")}))
    assert result.total == 0
    person = values(result, "person")
    assert person["Kim Jong Un"] == (0, True)
    assert person["Nobody Known"] == (0, True)


def test_facet_limit(searcher):
    assert len(searcher.search(SearchRequest(facet_limit=1)).facets["place"]) == 1
    everything = searcher.search(SearchRequest(facet_limit=0)).facets["place"]
    assert {v.value for v in everything} == {"North Korea", "Seoul", "Tokyo", "Japan", "Dhaka", "Brazil"}
    counts = [v.count for v in everything]
    assert counts == sorted(counts, reverse=True)


def test_date_filter_is_inclusive_and_drops_undated(searcher):
    assert found(searcher, "rocket", date_from=date(2023, 7, 10), date_to=date(2023, 7, 20)) == {"a1", "a2"}
    assert found(searcher, "", date_from=date(2023, 7, 1), date_to=date(2023, 7, 1)) == {"a5"}
    assert "a7" not in found(searcher, "rocket", date_from=date(1900, 1, 1))


def test_date_histogram_adapts_to_the_span(searcher):
    years = searcher.search(SearchRequest()).dates
    assert years.unit == "year"
    assert [(b.label, b.count) for b in years.buckets] == [("2020", 1), ("2021", 1), ("2022", 1), ("2023", 6)]
    months = searcher.search(SearchRequest(q="date:2023")).dates
    assert months.unit == "month"
    assert [(b.label, b.count) for b in months.buckets] == [("Jun 2023", 2), ("Jul 2023", 3), ("Aug 2023", 1)]
    days = searcher.search(SearchRequest(q="rocket", date_from=date(2023, 7, 1), date_to=date(2023, 7, 31))).dates
    assert days.unit == "day"
    assert days.buckets[0].start == "2023-07-10" and days.buckets[-1].end == "2023-07-20"
    assert sum(b.count for b in days.buckets) == 2


def test_bad_date_range_is_a_bad_request(searcher):
    with pytest.raises(BadRequest):
        searcher.search(SearchRequest(date_from=date(2023, 2, 1), date_to=date(2023, 1, 1)))


# --- sorting and pages ---------------------------------------------------------------------------


def test_empty_query_browses_everything_newest_first_undated_last(searcher):
    result = searcher.search(SearchRequest(page_size=20))
    assert result.total == len(ARTICLES)
    assert ids(result) == ["a8", "a2", "a1", "a5", "a3", "a4", "a6", "a9", "a10", "a7"]
    assert all(hit.score is None for hit in result.results)


def test_sort_orders(searcher):
    newest = ids(searcher.search(SearchRequest(q="rocket", sort="newest")))
    oldest = ids(searcher.search(SearchRequest(q="rocket", sort="oldest")))
    assert newest == ["a2", "a1", "a6", "a7"]
    assert oldest == ["a6", "a1", "a2", "a7"]
    relevance = searcher.search(SearchRequest(q="rocket launch"))
    scores = [hit.score for hit in relevance.results]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_pages(searcher):
    first = searcher.search(SearchRequest(page_size=3))
    second = searcher.search(SearchRequest(page_size=3, page=2))
    assert first.pages == 4 and first.total == 10
    assert not set(ids(first)) & set(ids(second))
    beyond = searcher.search(SearchRequest(page_size=3, page=99))
    assert beyond.results == [] and beyond.total == 10 and beyond.page == 99


@pytest.mark.parametrize("bad", [{"page": 0}, {"page": -1}, {"page_size": 0}, {"sort": "random"}, {"facet_limit": -1}])
def test_bad_parameters_are_bad_requests(searcher, bad):
    with pytest.raises(BadRequest) as error:
        searcher.search(SearchRequest(**bad))
    assert str(error.value)


def test_page_size_is_capped(searcher):
    result = searcher.search(SearchRequest(page_size=MAX_PAGE_SIZE + 50))
    assert result.page_size == MAX_PAGE_SIZE
    assert "At most" in result.notice


# --- snippets ------------------------------------------------------------------------------------


def test_article_text_is_escaped_around_marks(searcher):
    result = searcher.search(SearchRequest(q="script alert"))
    hit = result.results[0]
    assert hit.id == "a6"
    assert "<script>" not in hit.title_html and "<script>" not in "".join(hit.snippets)
    assert hit.title_html.startswith("&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)&lt;/<mark>script</mark>&gt;")
    snippet = hit.snippets[0]
    assert "&amp; other &lt;b&gt;markup&lt;/b&gt;" in snippet
    # Nothing but <mark> tags survive unescaped.
    assert set(re.findall(r"</?(\w+)", snippet)) == {"mark"}


def test_marks_words_as_written_never_stems(searcher):
    hit = next(h for h in searcher.search(SearchRequest(q="rockets")).results if h.id == "a1")
    text = " ".join(hit.snippets)
    assert "<mark>rockets</mark>" in text and "<mark>rocket</mark> launch" in text
    assert "<mark>rockets</mark>" in hit.title_html
    economy = searcher.search(SearchRequest(q="economy")).results[0]
    assert "<mark>economies</mark>" in economy.snippets[0]


def test_phrase_words_are_marked(searcher):
    hit = searcher.search(SearchRequest(q='"bank of japan"')).results[0]
    assert "The <mark>Bank</mark> of <mark>Japan</mark> kept" in hit.snippets[0]


def test_excluded_words_are_not_marked(searcher):
    hit = searcher.search(SearchRequest(q="launch -korea")).results[0]
    assert "<mark>" in hit.snippets[0]
    assert "<mark>Korea" not in " ".join(hit.snippets)


def test_browsing_shows_the_lead_escaped(searcher):
    result = searcher.search(SearchRequest(q="", page_size=20))
    hit = next(h for h in result.results if h.id == "a6")
    assert hit.snippets == [
        "A page carried &lt;script&gt;alert(1)&lt;/script&gt; &amp; other &lt;b&gt;markup&lt;/b&gt; about rockets."
    ]
    assert hit.title_html == "&lt;script&gt;alert(1)&lt;/script&gt; in the headline"


def test_hits_carry_display_fields(searcher):
    hit = searcher.search(SearchRequest(q="monsoon")).results[0]
    assert hit.published == "2023-07-01T02:00:00+06:00"
    assert hit.source == "bdnews24.com"
    assert hit.people == ["Sheikh Hasina"]
    assert hit.places == [Place("Dhaka", "Bangladesh")]


# --- did you mean, related, articles ---------------------------------------------------------------


def test_misspelt_word_gets_a_suggestion_as_written(searcher):
    result = searcher.search(SearchRequest(q="rockts"))
    assert result.total == 0
    assert result.suggestion in ("rocket", "rockets")
    assert searcher.search(SearchRequest(q=result.suggestion)).total > 0


def test_suggestion_keeps_the_other_words(searcher):
    result = searcher.search(SearchRequest(q="monsoon flods"))
    assert result.suggestion == "monsoon floods"


def test_no_suggestion_when_the_query_finds_enough(searcher):
    assert searcher.search(SearchRequest(q="rocket")).suggestion is None


def test_related_articles(searcher):
    related = searcher.related("a1", limit=3)
    assert related and "a1" not in [h.id for h in related]
    assert related[0].id in {"a2", "a8"}
    assert searcher.related("missing") == []


def test_article_view(searcher):
    view = searcher.article("a1")
    assert view.title == "North Korea fires rockets into the sea"
    assert view.body == [
        "North Korea fired two rockets on Monday. The rocket launch was condemned in Seoul.",
        "Kim Jong Un watched the launch, state media said.",
    ]
    assert view.countries == ["North Korea", "South Korea"]
    assert searcher.article("nope") is None


def test_to_dict_is_the_json_shape(searcher):
    data = searcher.search(SearchRequest(q="rocket korea")).to_dict()
    assert set(data) >= {"query", "total", "results", "facets", "dates", "suggestion", "notice"}
    assert data["results"][0]["places"][0] == {"name": "North Korea", "country": "North Korea"}


# --- lifecycle ---------------------------------------------------------------------------------------


def test_missing_index(tmp_path):
    with pytest.raises(IndexMissing, match="run dateline reindex"):
        Searcher.open(tmp_path / "none")


def test_refresh_sees_a_new_generation(tmp_path):
    index_articles(tmp_path, ARTICLES[:2])
    with Searcher.open(tmp_path) as searcher:
        assert searcher.refresh() is False
        assert searcher.search(SearchRequest(q="coffee")).total == 0
        index_articles(tmp_path, ARTICLES, generation="gen-000002")
        assert searcher.refresh() is True
        assert searcher.search(SearchRequest(q="coffee")).total == 1
        # An incremental commit inside the live generation is noticed too.
        ix = whoosh_index.open_dir(str(tmp_path / "gen-000002"))
        extra = replace(ARTICLES[9][0], id="a11", title="More coffee news")
        with ix.writer() as writer:
            writer.add_document(**to_document(extra, Entities()))
        assert searcher.refresh() is True
        assert searcher.search(SearchRequest(q="coffee")).total == 2
