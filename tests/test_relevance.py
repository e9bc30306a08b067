"""Ranking (search/engine/ranking.py) and the TIME test collection it was tuned on (bench/)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from whoosh import query as wq
from whoosh.scoring import BM25F

from helpers import shared_path
from search.engine import ranking
from search.index.schema import TEXT_FIELDS, build_schema
from search.query import content_words
from search.query.natural import natural_query

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import relevance  # noqa: E402
import time_collection as tc  # noqa: E402


@pytest.fixture(scope="module")
def time_dir() -> Path:
    return shared_path("eval", "time")


@pytest.fixture(scope="module")
def collection(time_dir) -> tc.TimeCollection:
    return tc.TimeCollection.load(time_dir)


@pytest.fixture(scope="module")
def time_index(collection, tmp_path_factory):
    return tc.build_index(collection.documents, tmp_path_factory.mktemp("time") / "ours")


# -- the judgement mapping (no data needed) ----------------------------------------------------


@pytest.mark.parametrize("judged, position", [(1, 1), (268, 268), (370, 370), (378, 376), (424, 422), (425, 423)])
def test_judged_numbers_map_to_positions_shifted_after_the_two_lost_documents(judged, position):
    assert tc.judged_position(judged) == position


@pytest.mark.parametrize("judged", [0, 371, 374, 377])
def test_judged_numbers_without_a_document_are_refused(judged):
    with pytest.raises(ValueError):
        tc.judged_position(judged)


# -- the loaders on the real files ---------------------------------------------------------------


def test_all_423_documents_load_in_file_order_with_unique_text_numbers(collection):
    numbers = [d.number for d in collection.documents]
    assert len(numbers) == 423 == len(set(numbers))
    assert numbers[0] == "017" and numbers[-1] == "563"
    first = collection.documents[0]
    assert first.text.startswith("THE ALLIES AFTER NASSAU IN DECEMBER 1960")
    assert first.issue is not None and first.issue.date().isoformat() == "1963-01-04"
    assert first.page == "020"
    assert all(d.text and "*TEXT" not in d.text and "*STOP" not in d.text for d in collection.documents)


def test_irregular_headers_are_split_on_whitespace(collection):
    by_number = {d.number: d for d in collection.documents}
    # "*TEXT 431 08/30 63 PAGE 026": the missing slash still gives a date.
    assert by_number["431"].issue.date().isoformat() == "1963-08-30"
    assert by_number["431"].page == "026"
    # "*TEXT 557        12/27/63         PAGE 021": runs of spaces between fields.
    assert by_number["557"].issue.date().isoformat() == "1963-12-27"
    assert by_number["557"].page == "021"
    assert all(d.issue is not None for d in collection.documents)


def test_83_queries_with_their_text_joined(collection):
    assert [q.id for q in collection.queries] == [str(n) for n in range(1, 84)]
    assert collection.queries[0].text == (
        "KENNEDY ADMINISTRATION PRESSURE ON NGO DINH DIEM TO STOP SUPPRESSING THE BUDDHISTS ."
    )
    assert collection.queries[22].text.startswith("WHAT COUNTRIES HAVE NEWLY JOINED THE UNITED NATIONS")


def test_judgements_are_keyed_by_text_number_with_the_shift(collection, time_dir):
    assert len(collection.qrels) == 83
    assert collection.judgement_count() == 324
    documents = collection.documents
    for judged, number in [(1, "017"), (268, "334"), (370, "498"), (378, "508"), (424, "562"), (425, "563")]:
        assert documents[tc.judged_position(judged) - 1].number == number
    assert collection.qrels["23"] == {"563": 1}  # judged 425: "UNITED NATIONS POTENT PYGMY"
    assert "UNITED NATIONS" in {d.number: d for d in documents}["563"].text[:40]
    assert "519" in collection.qrels["7"]  # judged 386: Cambodia
    # query 1 judges 268 ... 334 (positions); as TEXT numbers that is 334 ... 390
    assert min(collection.qrels["1"]) == "334"


def test_judgements_agree_with_the_derived_trec_qrels(collection, time_dir):
    derived: dict[str, dict[str, int]] = {}
    for line in (time_dir / "derived" / "time.qrels").read_text().splitlines():
        qid, _, docno, rel = line.split()
        derived.setdefault(qid, {})[docno] = int(rel)
    assert collection.qrels == derived


# -- natural_query --------------------------------------------------------------------------


def test_natural_query_ors_analyzed_words_over_the_text_fields():
    q = natural_query("Rockets hit the harbour", schema=build_schema())
    assert isinstance(q, wq.Or)
    words = {(t.fieldname, t.text) for t in q.leaves() if isinstance(t, wq.Term)}
    assert words == {(f, w) for f in TEXT_FIELDS for w in ("rocket", "hit", "harbour")}


def test_natural_query_counts_a_repeated_word_and_drops_stop_words():
    q = natural_query("oil AND the oil price", fields=("body",))
    assert [(s.text, s.boost) for s in q.subqueries] == [("oil", 2.0), ("price", 1.0)]
    assert natural_query("the and of", fields=("body",)) is wq.NullQuery
    assert natural_query("", fields=("body",)) is wq.NullQuery


def test_natural_query_weighs_the_words_that_only_phrase_a_question_less():
    q = natural_query("What issues are involved in the arrears of the United Nations?", fields=("body",))
    weights = {s.text: s.boost for s in q.subqueries}
    # Nouns and names weigh fully; the pronoun and the verb, which phrase the question, half.
    assert weights == {"what": 0.5, "issu": 1.0, "involv": 0.5, "arrear": 1.0, "unit": 1.0, "nation": 1.0}
    assert content_words.OTHER_WORD_WEIGHT == 0.5
    unweighted = natural_query("What issues are involved in the arrears?", fields=("body",), other_words=1.0)
    assert {s.boost for s in unweighted.subqueries} == {1.0}


def test_a_word_written_both_as_noun_and_as_verb_counts_as_content_and_repeats_still_count():
    # "vote" is a verb first, a noun second: it names the subject; typed twice, it counts twice.
    q = natural_query("Did they vote against the vote on the budget?", fields=("body",))
    assert {s.text: s.boost for s in q.subqueries} == {
        "did": 0.5,
        "they": 0.5,
        "vote": 2.0,
        "against": 0.5,
        "budget": 1.0,
    }


def test_a_question_with_undecodable_bytes_is_still_weighed():
    # A command line's undecodable bytes reach Python as lone surrogates, which spaCy cannot take.
    q = natural_query("\udcff What issues are involved in the arrears?", fields=("body",))
    assert {s.text: s.boost for s in q.subqueries} == {"what": 0.5, "issu": 1.0, "involv": 0.5, "arrear": 1.0}


def test_a_single_word_is_not_weighed():
    q = natural_query("running", fields=("body",))
    assert isinstance(q, wq.Term) and q.boost == 1.0


# -- ranking on TIME ------------------------------------------------------------------------------


@pytest.mark.parametrize("qid", ["7", "14", "23", "65"])
def test_our_ranking_puts_a_judged_document_first_on_easy_queries(collection, time_index, qid):
    query = next(q for q in collection.queries if q.id == qid)
    with time_index.searcher(weighting=ranking.weighting()) as searcher:
        hits = searcher.search(natural_query(query.text.lower(), schema=time_index.schema), limit=5)
        assert hits and hits[0]["id"] in collection.qrels[qid]


@pytest.mark.slow
def test_our_ranking_beats_whoosh_defaults_on_time(collection, time_index, tmp_path):
    ours = relevance.evaluate(relevance.ours_run(collection, time_index), collection.qrels)
    baseline = relevance.evaluate(relevance.baseline_run(collection, tmp_path), collection.qrels)
    print(f"MAP ours {ours['MAP']:.4f}, Whoosh defaults {baseline['MAP']:.4f}")
    # Deterministic; the margin (0.036 when tuned) leaves room for small analyzer changes.
    assert ours["MAP"] > baseline["MAP"] + 0.015
    assert ours["nDCG@10"] > baseline["nDCG@10"]


def test_evaluate_counts_queries_without_results_as_zero():
    qrels = {"1": {"a": 1}, "2": {"b": 1}}
    scores = relevance.evaluate({"1": {"a": 2.0, "x": 1.0}}, qrels)
    assert scores["MAP"] == pytest.approx(0.5)
    assert scores["P@10"] == pytest.approx(0.05)


# -- the product uses this ranking ---------------------------------------------------------------


@pytest.mark.slow
def test_the_searcher_scores_with_ranking_weighting(collection, tmp_path):
    searching = pytest.importorskip("search.engine.searcher")
    from search.results import SearchRequest

    index_dir = tc.build_product_index(collection.documents, tmp_path / "index")
    word = "maphilindo"  # in a few documents: the every-word query answers it
    with searching.Searcher.open(index_dir) as searcher:
        result = searcher.search(SearchRequest(q=word, page_size=20, snippets=False))
    product = {hit.id: hit.score for hit in result.results}
    assert product

    from search.index.store import open_live_index

    ix = open_live_index(index_dir)
    query = wq.Or([wq.Term(f, word) for f in TEXT_FIELDS])
    with ix.searcher(weighting=ranking.weighting()) as s:
        expected = {hit["id"]: round(hit.score, 4) for hit in s.search(query, limit=20)}
    with ix.searcher(weighting=BM25F()) as s:
        whoosh_default = {hit["id"]: round(hit.score, 4) for hit in s.search(query, limit=20)}
    assert product == pytest.approx(expected, abs=1e-4)
    assert whoosh_default != pytest.approx(expected, abs=1e-4)


@pytest.mark.slow
def test_the_product_path_ranks_as_well_as_the_ranking_alone(collection, time_index, tmp_path):
    """Long questions find few articles with every word; the searcher widens them to any word,
    ranked by BM25F with feedback from their best hits, so the product keeps the ranking's quality
    (MAP 0.7186 on TIME)."""
    pytest.importorskip("search.engine.searcher")
    product = relevance.product_run(collection, tmp_path)
    assert product.any_word > 60 and product.empty == 0  # TIME's questions are long
    scores = relevance.evaluate(product.run, collection.qrels)
    ours = relevance.evaluate(relevance.ours_run(collection, time_index), collection.qrels)
    print(f"MAP product {scores['MAP']:.4f}, ranking alone {ours['MAP']:.4f}")
    assert scores["MAP"] >= 0.715
    assert scores["MAP"] == pytest.approx(ours["MAP"], abs=0.01)


@pytest.mark.slow
@pytest.mark.parametrize(
    "alone_parts, without_parts",
    [
        pytest.param((False, True, False), (True, False, True), id="feedback"),
        pytest.param((False, False, True), (True, True, False), id="question words weighed less"),
    ],
)
def test_each_part_of_the_ranking_of_long_questions_ranks_more_time_questions_better(
    collection, time_index, alone_parts, without_parts
):
    """Feedback (search.engine.feedback) and weighing question words less (search.query.content_words)
    on TIME's 83 long questions: each on its own against BM25F alone, and in the shipped ranking
    against the same ranking without it. Deterministic, (proximity, feedback, question words) as
    ours_run's switches: feedback 0.7027 -> 0.7162 alone (28 queries better, 7 worse), shipped
    0.7176 -> 0.7186 (24, 10; nDCG@10 0.7761 -> 0.7700: beside the question words it adds little);
    question words 0.7027 -> 0.7173 alone (21, 4), shipped 0.7162 -> 0.7186 (20, 9)."""
    bm25f, alone, shipped, without = (
        _scored(collection, relevance.ours_run(collection, time_index, *parts))
        for parts in ((False, False, False), alone_parts, (True, True, True), without_parts)
    )
    print(f"MAP {bm25f.map:.4f} -> {alone.map:.4f} alone; {without.map:.4f} -> {shipped.map:.4f} shipped")
    assert alone.map > bm25f.map + 0.01 and alone.ndcg > bm25f.ndcg
    assert alone.better_than(bm25f) > 3 * alone.worse_than(bm25f)
    assert shipped.map > without.map
    assert shipped.better_than(without) > 2 * shipped.worse_than(without)


@dataclass(frozen=True)
class _Scored:
    map: float
    ndcg: float
    ap: dict[str, float]

    def better_than(self, other: _Scored) -> int:
        return relevance.better_worse(self.ap, other.ap)[0]

    def worse_than(self, other: _Scored) -> int:
        return relevance.better_worse(self.ap, other.ap)[1]


def _scored(collection, run) -> _Scored:
    scores = relevance.evaluate(run, collection.qrels)
    return _Scored(scores["MAP"], scores["nDCG@10"], relevance.per_query_ap(run, collection.qrels))


def test_the_tagger_is_loaded_once_per_process_without_the_pipes_it_does_not_need():
    from search import spacy_model

    content_words.term_weights("What changed?", lambda word: [word.lower()])
    tagger = spacy_model.load(content_words._NOT_NEEDED)
    assert tagger is spacy_model.load(content_words._NOT_NEEDED)
    assert "tagger" in tagger.pipe_names and "ner" not in tagger.pipe_names and "parser" not in tagger.pipe_names
