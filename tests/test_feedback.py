"""A long question read as any of its words gains the words of its best hits (search.engine.feedback,
RM3) on real Reuters stories: only the order of the best matches changes, never the matches, their
count or facets; pages and cursors agree; a query answered by every word is left alone."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq

from helpers import NoEntities, shared_path
from search.engine import feedback, proximity
from search.engine.evaluate import Evaluator
from search.engine.searcher import Searcher
from search.index.indexer import reindex
from search.index.schema import TEXT_FIELDS
from search.query.natural import natural_query, query_terms
from search.results import SearchRequest

QUESTION = "treasury secretary james baker said the dollar fell against the yen in tokyo trading"


@pytest.fixture(scope="module")
def searcher(tmp_path_factory):
    path = tmp_path_factory.mktemp("feedback") / "index"
    reindex([shared_path("corpus", "reuters21578", "reut2-009.sgm")], path, workers=1, extractor=NoEntities())
    with Searcher.open(path) as opened:
        yield opened


def ids(result) -> list[str]:
    return [hit.id for hit in result.results]


@pytest.mark.shared
def test_a_long_question_gains_words_it_did_not_type(searcher, monkeypatch):
    models: list[feedback.RelevanceModel | None] = []
    real = feedback.relevance_model

    def spy(*args, **kwargs):
        models.append(real(*args, **kwargs))
        return models[-1]

    monkeypatch.setattr(feedback, "relevance_model", spy)
    result = searcher.search(SearchRequest(q=QUESTION, page_size=20, snippets=False))
    assert result.notice and "any of them" in result.notice
    (model,) = models
    assert model is not None and len(model.words) == feedback.TERMS
    words = [word for word, _ in model.words]
    assert sum(p for _, p in model.words) == pytest.approx(1.0)
    typed = set(query_terms(QUESTION))
    assert {"baker", "dollar", "treasuri"} <= set(words) & typed
    # The subject's vocabulary, which the question never typed: deficits, currencies, exchange rates.
    assert set(query_terms("deficit currency exchange")) <= set(words) - typed


@pytest.mark.shared
def test_feedback_reorders_but_keeps_matches_counts_and_facets(searcher, monkeypatch):
    request = SearchRequest(q=QUESTION, page_size=100, snippets=False)
    with_feedback = searcher.search(request)
    monkeypatch.setattr(feedback, "WEIGHT", 0.0)
    without = searcher.search(request)
    assert with_feedback.total == without.total > 300
    assert with_feedback.facets == without.facets and with_feedback.dates == without.dates
    assert ids(with_feedback) != ids(without)
    pages = range(1, with_feedback.pages + 1)
    everything = [searcher.search(SearchRequest(q=QUESTION, page=p, page_size=100, snippets=False)) for p in pages]
    monkeypatch.setattr(feedback, "WEIGHT", 0.0)
    plain = [searcher.search(SearchRequest(q=QUESTION, page=p, page_size=100, snippets=False)) for p in pages]
    matches = [hit_id for result in everything for hit_id in ids(result)]
    # Every match once (wire copies fold into their group's first article, as always).
    assert (
        len(matches) == len(set(matches)) == (with_feedback.groups if with_feedback.collapse else with_feedback.total)
    )
    assert sorted(matches) == sorted(hit_id for result in plain for hit_id in ids(result))


@pytest.mark.shared
@pytest.mark.parametrize("collapse", [True, False])
def test_pages_and_cursors_agree_with_feedback_across_its_depth(searcher, collapse):
    def page(number: int, size: int, cursor: str | None = None):
        return searcher.search(
            SearchRequest(q=QUESTION, page=number, page_size=size, snippets=False, collapse=collapse, cursor=cursor)
        )

    whole = ids(page(1, 100)) + ids(page(2, 100))
    assert len(whole) == 200 > feedback.DEPTH
    pages = [hit_id for number in range(1, 8) for hit_id in ids(page(number, 30))]  # a page straddles the depth
    assert pages[:200] == whole
    walked: list[str] = []
    cursor = None
    while len(walked) < len(whole):
        step = page(1, 30, cursor)
        walked.extend(ids(step))
        cursor = step.next_cursor
    assert walked[:200] == whole


@pytest.mark.shared
def test_feedback_reorders_only_the_best_matches_by_the_querys_score(searcher, monkeypatch):
    """The DEPTH best matches by the query's own score are reordered (as are, by proximity, the
    first RERANK_DEPTH); every later match keeps the query's order after them."""

    def first_300() -> list[str]:
        pages = [SearchRequest(q=QUESTION, page=n, page_size=100, snippets=False, collapse=False) for n in (1, 2, 3)]
        return [hit_id for request in pages for hit_id in ids(searcher.search(request))]

    with_feedback = first_300()
    monkeypatch.setattr(feedback, "WEIGHT", 0.0)
    without = first_300()
    head = max(feedback.DEPTH, proximity.RERANK_DEPTH)
    assert with_feedback[:head] != without[:head]
    assert set(with_feedback[:head]) == set(without[:head])
    assert with_feedback[head:] == without[head:]


@pytest.mark.shared
def test_feedback_scores_at_depth_equal_those_over_the_whole_index(searcher, monkeypatch):
    """The feedback words scored for a few documents, from the posting blocks holding them, give
    figure for figure the BM25F scores of the whole-index computation."""
    models: list[feedback.RelevanceModel | None] = []
    real = feedback.relevance_model
    monkeypatch.setattr(feedback, "relevance_model", lambda *a, **k: models.append(real(*a, **k)) or models[-1])
    searcher.search(SearchRequest(q=QUESTION, page_size=10, snippets=False))
    (model,) = models
    assert model is not None
    query = model.query()
    generation = searcher._current()
    whole = generation.evaluator.scores(query)
    assert whole is not None
    live = np.flatnonzero(generation.collection.live)
    # The best-scored documents and others spread over the index, some without any feedback word.
    docnums = np.unique(np.concatenate([np.argsort(-whole)[: feedback.DEPTH], live[::7]]))
    assert (whole[docnums] == 0).any() and (whole[docnums] > 0).sum() > feedback.DEPTH
    fresh = Evaluator(generation.searcher, generation.collection.live)  # nothing read yet: block by block
    at_depth = fresh.scores_at(query, docnums)
    assert at_depth is not None and at_depth.tolist() == whole[docnums].tolist()
    fresh.scores(query)  # the postings read whole and kept: scores at depth come from them
    assert fresh.scores_at(query, docnums).tolist() == whole[docnums].tolist()  # type: ignore[union-attr]
    assert fresh.scores_at(wq.And([wq.Term("body", "dollar"), wq.Term("body", "yen")]), docnums) is None


@pytest.mark.shared
def test_a_query_answered_by_every_word_has_no_feedback(searcher, monkeypatch):
    request = SearchRequest(q="james baker", page_size=50, snippets=False)
    shipped = searcher.search(request)
    assert not (shipped.notice and "any of them" in (shipped.notice or ""))
    monkeypatch.setattr(feedback, "WEIGHT", 0.0)
    assert [(h.id, h.score) for h in searcher.search(request).results] == [(h.id, h.score) for h in shipped.results]


def test_relevance_model_weighs_each_hit_by_its_share_of_the_scores():
    texts = [["oil", "opec", "oil", "quota"], ["oil", "price"]]
    frequency = {"oil": 9, "opec": 4, "quota": 3, "price": 2}.get
    model = feedback.relevance_model(texts, [3.0, 1.0], lambda w: frequency(w, 0), terms=3)
    assert model is not None
    # oil: 3/4 * 2/4 + 1/4 * 1/2; opec, quota: 3/4 * 1/4 each (the word breaks the tie); price 1/4 * 1/2.
    assert [w for w, _ in model.words] == ["oil", "opec", "quota"]
    mass = 0.5 + 0.1875 + 0.1875
    assert [p for _, p in model.words] == pytest.approx([0.5 / mass, 0.1875 / mass, 0.1875 / mass])
    # A word of one article only is no evidence.
    rare = feedback.relevance_model([["oil", "zyx"]], [1.0], lambda w: 1 if w == "zyx" else 5)
    assert rare is not None and [w for w, _ in rare.words] == ["oil"]
    assert feedback.relevance_model([], [], lambda w: 5) is None


def test_query_weight_counts_each_asked_word_once_over_the_fields():
    from search.index.schema import build_schema

    query = natural_query("oil prices and oil quotas", schema=build_schema())
    assert feedback.query_weight(query) == pytest.approx(4.0)  # oil twice, price, quota
    excluded = wq.AndNot(query, wq.Or([wq.Term(f, "iran") for f in TEXT_FIELDS]))
    assert feedback.query_weight(excluded) == pytest.approx(4.0)
