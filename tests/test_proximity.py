"""Words typed side by side that stand side by side rank higher (search.engine.proximity), on real
Reuters stories: `james baker` puts James Baker's stories above "Baker, Fentress names new chairman"
(James Gorter), while totals, facets and paging stay what they were."""

from __future__ import annotations

import re

import pytest
from whoosh import query as wq

from helpers import NoEntities, shared_path
from search.engine import feedback, proximity, ranking
from search.engine.searcher import Searcher
from search.index.indexer import reindex
from search.index.schema import TEXT_FIELDS
from search.index.store import open_live_index
from search.query.natural import query_terms
from search.results import SearchRequest

# reut2-019 has the Baker, Fentress story; reut2-009 has the most James Baker stories.
FILES = ("reut2-009.sgm", "reut2-019.sgm")
AS_TYPED = re.compile(r"\bJames\s+(?:A\.\s+)?Baker\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory):
    corpus = [shared_path("corpus", "reuters21578", name) for name in FILES]
    path = tmp_path_factory.mktemp("proximity") / "index"
    reindex(corpus, path, workers=1, extractor=NoEntities())
    return path


@pytest.fixture(scope="module")
def searcher(index_dir):
    with Searcher.open(index_dir) as opened:
        yield opened


def text_of(searcher: Searcher, article_id: str) -> str:
    view = searcher.article(article_id)
    assert view is not None
    return "\n".join([view.title, *view.body])


def fentress_id(searcher: Searcher) -> str:
    found = searcher.search(SearchRequest(q="title:fentress", snippets=False))
    assert found.total == 1
    return found.results[0].id


@pytest.mark.shared
def test_james_baker_stories_rank_above_baker_fentress(searcher, index_dir):
    result = searcher.search(SearchRequest(q="james baker", page_size=100, snippets=False))
    ranked = [hit.id for hit in result.results]
    fentress = fentress_id(searcher)
    as_typed = [i for i in ranked if AS_TYPED.search(text_of(searcher, i))]
    assert len(as_typed) >= 20
    assert fentress not in ranked[: len(as_typed)]
    assert all(ranked.index(i) < ranked.index(fentress) for i in as_typed if fentress in ranked)

    # BM25F alone (every word required, no proximity) puts the Fentress story near the top.
    ix = open_live_index(index_dir)
    words = query_terms("james baker", ix.schema)
    every_word = wq.And([wq.Or([wq.Term(f, w) for f in TEXT_FIELDS]) for w in words])
    with ix.searcher(weighting=ranking.weighting()) as s:
        # (limit=None: Whoosh's own top-k skips blocks by an upper bound that misses this story.)
        bm25f = [hit["id"] for hit in s.search(every_word, limit=None)]
    assert fentress in bm25f[:3]


@pytest.mark.shared
def test_proximity_changes_no_count_and_pages_agree(searcher):
    whole = searcher.search(SearchRequest(q="james baker", page_size=40, snippets=False))
    plain = searcher.search(SearchRequest(q="baker james", page_size=40, snippets=False))
    # The same articles in another order: counts and facets do not depend on word order.
    assert whole.total == plain.total and whole.facets == plain.facets and whole.dates == plain.dates
    assert [h.id for h in whole.results] != [h.id for h in plain.results]
    # Page by page, and cursor by cursor, the list is the same list.
    pages = [
        hit.id
        for number in (1, 2)
        for hit in searcher.search(SearchRequest(q="james baker", page=number, page_size=20, snippets=False)).results
    ]
    assert pages == [h.id for h in whole.results]
    walked: list[str] = []
    cursor = None
    while True:
        step = searcher.search(SearchRequest(q="james baker", page_size=10, snippets=False, cursor=cursor))
        walked.extend(h.id for h in step.results)
        cursor = step.next_cursor
        if cursor is None:
            break
    assert walked == [h.id for h in whole.results]


@pytest.mark.shared
def test_any_word_reading_only_reorders_the_head(searcher, monkeypatch):
    """A short query read as any word (few articles have all four words): the first RERANK_DEPTH
    hits are BM25F's first hits, reordered by the bonus alone (scores that only grew, best first);
    everything after them is in BM25F's order. (Feedback, which rescores every match of that
    reading, is off: this is about proximity alone; tests/test_feedback.py covers it.)"""
    monkeypatch.setattr(feedback, "WEIGHT", 0.0)
    q = "james baker tokyo trading"
    request = SearchRequest(q=q, page_size=100, snippets=False)
    with_bonus = searcher.search(request)
    assert with_bonus.notice and "any of them" in with_bonus.notice
    pages_after = [searcher.search(SearchRequest(q=q, page=p, page_size=100, snippets=False)) for p in (2, 3)]
    monkeypatch.setattr(proximity, "WEIGHT", 0.0)
    bm25f = searcher.search(request)
    bm25f_after = [searcher.search(SearchRequest(q=q, page=p, page_size=100, snippets=False)) for p in (2, 3)]

    assert with_bonus.total == bm25f.total > 300 and with_bonus.facets == bm25f.facets
    ranked, plain = [h.id for h in with_bonus.results], [h.id for h in bm25f.results]
    assert set(ranked) == set(plain) and ranked != plain
    before = {h.id: h.score for h in bm25f.results}
    assert all(h.score >= before[h.id] for h in with_bonus.results)
    assert any(h.score > before[h.id] for h in with_bonus.results)
    scores = [h.score for h in with_bonus.results]
    assert scores == sorted(scores, reverse=True)  # no hit put first for having the words as typed
    assert [h.id for p in pages_after for h in p.results] == [h.id for p in bm25f_after for h in p.results]


@pytest.mark.shared
def test_a_long_question_read_as_any_word_gets_no_bonus(searcher, monkeypatch):
    """Neighbouring words of a long question are mostly no phrase (proximity.ANY_WORD_MAX_WORDS):
    its order is BM25F's (with feedback off), whatever the bonus's weight."""
    monkeypatch.setattr(feedback, "WEIGHT", 0.0)
    q = "treasury secretary james baker said the dollar fell against the yen in tokyo trading"
    request = SearchRequest(q=q, page_size=100, snippets=False)
    asked = searcher.search(request)
    assert asked.notice and "any of them" in asked.notice
    monkeypatch.setattr(proximity, "WEIGHT", 0.0)
    assert [(h.id, h.score) for h in searcher.search(request).results] == [(h.id, h.score) for h in asked.results]
    assert len(set(query_terms(q))) > proximity.ANY_WORD_MAX_WORDS


def test_typed_words_leave_out_excluded_words_and_keep_order():
    def anywhere(word: str) -> wq.Query:
        return wq.Or([wq.Term(f, word) for f in TEXT_FIELDS])

    # `central bank -dollar rates` as the compiler builds it, and the same with a phrase.
    query = wq.And([anywhere("central"), anywhere("bank"), wq.Not(anywhere("dollar")), anywhere("rate")])
    assert proximity.typed_words(query) == ["central", "bank", "rate"]
    assert proximity.typed_pairs(query) == [("central", "bank"), ("bank", "rate")]
    phrased = wq.And([wq.Phrase("body", ["central", "bank"]), wq.Term("person", "baker"), anywhere("rate")])
    assert proximity.typed_words(phrased) == ["central", "bank", "rate"]  # facet fields are not text


def test_in_order_follows_the_words_as_typed_within_the_slop():
    assert proximity.in_order([[3, 40], [41], [43]])  # "federal reserve (board) chairman"
    assert not proximity.in_order([[3], [2], [5]])  # the second word before the first
    assert not proximity.in_order([[3], [4], [4 + proximity.SLOP + 1]])
    assert proximity.in_order([[10, 50], [11, 52], [53]])  # the chain may start at any occurrence


def test_ordered_near_counts_the_second_word_after_the_first_within_the_slop():
    assert proximity.ordered_near([5], [6]) == 1  # side by side
    assert proximity.ordered_near([5], [8]) == 1  # "James A. Baker"-like gaps within the slop
    assert proximity.ordered_near([5], [5 + proximity.SLOP + 1]) == 0
    assert proximity.ordered_near([6], [5]) == 0  # the other order does not count
    assert proximity.ordered_near([1, 10, 20], [2, 11, 40]) == 2


@pytest.mark.shared
def test_positions_read_by_block_index_equal_whooshs_skipping(searcher):
    """The searcher reads proximity's positions through the evaluator's cached block indexes; they
    are the positions Whoosh's own skipping reads, and so are the bonuses."""
    gen = searcher._current()
    evaluation = gen.evaluator.request()
    matched = evaluation.mask(wq.Or([wq.Term(f, w) for f in TEXT_FIELDS for w in ("oil", "price")]))
    docnums = matched.nonzero()[0][::3]
    assert len(docnums) > 100
    bonuses = []
    for words in (["oil", "price"], ["crude", "oil", "price"]):
        ours = proximity.proximity_scores(gen.searcher, docnums, words, positions_at=evaluation.positions_at)
        whooshs = proximity.proximity_scores(gen.searcher, docnums, words)
        assert (ours[0] == whooshs[0]).all() and (ours[1] == whooshs[1]).all()
        bonuses.append(int((ours[0] > 0).sum()))
        for field in TEXT_FIELDS:
            for word in words:
                found = evaluation.positions_at(field, word, sorted(docnums.tolist()))
                assert found == proximity._positions(gen.searcher, field, [word], docnums).get(word, {})
    assert all(bonuses), bonuses  # some of the documents have the words side by side
