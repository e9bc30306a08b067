"""The searcher on an index that `search.index.indexer.reindex` built from the real bdnews24 pages."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pytest

from helpers import shared_path
from search.engine.searcher import Searcher
from search.results import SearchRequest

pytestmark = [pytest.mark.shared, pytest.mark.slow]  # builds an index of the real pages with spaCy


@pytest.fixture(scope="session")
def pages_searcher(tmp_path_factory):
    from search.index.indexer import reindex

    pages = shared_path("corpus", "pages")
    index_dir = tmp_path_factory.mktemp("pages-index")
    report = reindex([pages], index_dir, workers=1)  # real readers, real spaCy
    assert report.documents > 150
    with Searcher.open(index_dir) as searcher:
        yield searcher


def test_browse_everything_newest_first(pages_searcher):
    result = pages_searcher.search(SearchRequest(page_size=100))
    assert result.total == pages_searcher.doc_count
    dates = [datetime.fromisoformat(hit.published) for hit in result.results if hit.published]
    assert len(dates) > 50 and dates == sorted(dates, reverse=True)
    assert result.dates.unit == "month"  # January to March 2020
    assert sum(b.count for b in result.dates.buckets) == result.total - sum(
        1 for h in result.results if not h.published
    )


def test_a_real_query_with_facets_and_snippets(pages_searcher):
    result = pages_searcher.search(SearchRequest(q="coronavirus", page_size=5, facet_limit=0))
    assert result.total > 20
    assert sum(v.count for v in result.facets["source"]) == result.total  # one source per article
    for hit in result.results:
        assert any("<mark>" in s for s in hit.snippets + [hit.title_html])
        assert not re.search(r"<(?!/?mark>)", "".join(hit.snippets))
    top = result.facets["place"][0].value
    narrowed = pages_searcher.search(SearchRequest(q="coronavirus", filters={"place": (top,)}, facet_limit=0))
    assert narrowed.total == result.facets["place"][0].count
    assert [v.value for v in narrowed.facets["place"]] == [v.value for v in result.facets["place"]]


def test_numpy_match_sets_agree_with_whoosh(pages_searcher):
    gen = pages_searcher._current()
    queries = [
        "coronavirus",
        "dhaka OR chattogram",
        "virus -china",
        '"prime minister"',
        "title:bangladesh",
        "flight* airport",
    ]
    for text in queries:
        from search.query.parse import parse

        query = gen.compiler.compile(parse(text)).query
        ours = set(np.flatnonzero(gen.evaluator.mask(query)).tolist())
        theirs = set(gen.searcher.docs_for_query(query))
        assert ours == theirs, text
        assert ours, text


def test_related_pages(pages_searcher):
    first = pages_searcher.search(SearchRequest(q="coronavirus")).results[0]
    related = pages_searcher.related(first.id, limit=5)
    assert len(related) == 5 and first.id not in {h.id for h in related}


def test_all_words_hold_when_they_find_a_page_and_widen_when_they_do_not(pages_searcher):
    from search.engine.ranking import ANY_WORD_BELOW

    both = pages_searcher.search(SearchRequest(q="coronavirus dhaka", page_size=100))
    assert both.total >= ANY_WORD_BELOW
    assert both.notice is None and both.interpreted_as is None
    anded = pages_searcher.search(SearchRequest(q="coronavirus AND dhaka", page_size=100))
    assert [h.id for h in both.results] == [h.id for h in anded.results]

    few = pages_searcher.search(SearchRequest(q="wuhan students return", page_size=100))
    strict = pages_searcher.search(SearchRequest(q="wuhan AND students AND return", page_size=100))
    assert 0 < strict.total < ANY_WORD_BELOW
    assert few.total > strict.total
    assert few.notice.startswith(f"Only {strict.total} articles have all the words")
    # Ranked by score alone, most articles with all three words are still among the best matches.
    leading = {h.id for h in strict.results} & {h.id for h in few.results[: 2 * strict.total]}
    assert len(leading) >= 3 * strict.total // 4


def test_numpy_scores_agree_with_whoosh(pages_searcher):
    """search.engine.evaluate ranks every match with numpy; Whoosh's own matchers must give the same figures."""
    from search.query.parse import parse

    gen = pages_searcher._current()
    queries = [
        "coronavirus dhaka",
        '"prime minister" hasina',
        "virus -china",
        "dhaka OR chattogram",
        "title:bangladesh flight*",
        '"prime minister" OR "health minister"',
        "+wuhan students return",
    ]
    for text in queries:
        for any_word in (False, True):
            query = gen.compiler.compile(parse(text), any_word=any_word).query
            scores = gen.evaluator.scores(query)
            assert scores is not None, text
            expected = {h.docnum: h.score for h in gen.searcher.search(query, limit=None)}
            assert expected, text
            assert set(np.flatnonzero(gen.evaluator.mask(query)).tolist()) == set(expected), text
            assert max(abs(scores[d] - s) for d, s in expected.items()) < 1e-9, text
