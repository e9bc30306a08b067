"""The search cluster and the embedded engine on all of Reuters-21578: totals, facets with
thousands of values, the date histogram and the groups of wire copies equal across 3 shards.

spaCy over 21,578 stories would take most of an hour here, so both engines get Reuters' own
PEOPLE and PLACES tags as entities (as bench/query.py does): what is compared is how each engine
counts them, not how they were found.
"""

from __future__ import annotations

import shutil

import pytest

from cluster_fixtures import running_cluster
from helpers import ReutersTags, shared_path
from search.cluster.engine import ClusterSearch
from search.cluster.reindex import reindex_cluster
from search.engine.searcher import Searcher
from search.index.indexer import reindex
from search.results import SearchRequest

pytestmark = [
    pytest.mark.shared,
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("searchd") is None, reason="searchd missing: scripts/install --dev"),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from running_cluster(tmp_path_factory)


@pytest.fixture(scope="module")
def engines(cluster, tmp_path_factory):
    corpus = [shared_path("corpus", "reuters21578")]
    index_dir = tmp_path_factory.mktemp("reuters-whoosh")
    reindex(corpus, index_dir, workers=1, extractor=ReutersTags())
    report = reindex_cluster(corpus, cluster, workers=1, extractor=ReutersTags())
    assert report.documents > 19_000
    with Searcher.open(index_dir) as embedded, ClusterSearch.open(cluster) as sharded:
        yield embedded, sharded


REQUESTS = [
    SearchRequest(q="", facet_limit=0),
    SearchRequest(q="oil prices", facet_limit=0),
    SearchRequest(q='"crude oil" -opec', facet_limit=0),
    SearchRequest(q="wheat OR corn", facet_limit=20),
    SearchRequest(q="bank", filters={"source": ("Reuters",)}, facet_limit=0),
    SearchRequest(q="dollar yen date:1987-03", facet_limit=0),
    SearchRequest(q="acquisition", sort="oldest", facet_limit=10),
    SearchRequest(q="centrl bank", facet_limit=0),
    SearchRequest(q="dollr yen", facet_limit=0),
]
SUGGESTED = {"centrl bank": "central bank", "dollr yen": "dollars yen"}  # did you mean, on both engines


def facet_counts(result) -> dict[str, set[tuple[str, int]]]:
    """Every facet's values and counts, people as the corpus-level name map shows them on both."""
    return {name: {(v.value, v.count) for v in values} for name, values in result.facets.items()}


@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: r.q or "everything")
def test_reuters_parity(engines, request_):
    embedded, sharded = engines
    ours, theirs = embedded.search(request_), sharded.search(request_)
    overlap = len({h.id for h in ours.results} & {h.id for h in theirs.results})
    people = len(ours.facets["person"])
    print(
        f"{request_.q!r}: total {ours.total} / {theirs.total}; {people} people listed; "
        f"top-{len(ours.results)} overlap {overlap}"
    )
    assert theirs.total == ours.total > 0
    assert theirs.suggestion == ours.suggestion == SUGGESTED.get(request_.q)
    assert facet_counts(theirs) == facet_counts(ours)
    assert theirs.dates == ours.dates
    assert theirs.facet_totals == ours.facet_totals
    # Wire copies folded as on the embedded engine: the same groups, each hit's copies counted alike.
    assert (theirs.groups, theirs.pages, theirs.collapse) == (ours.groups, ours.pages, ours.collapse)
    copies = {h.id: (h.other_versions, {v.id for v in h.versions}) for h in ours.results}
    assert all((h.other_versions, {v.id for v in h.versions}) == copies[h.id] for h in theirs.results if h.id in copies)
    assert not theirs.extra and not (theirs.notice or "").startswith("A facet has more")


def test_topics_are_normalised_as_the_embedded_engine(engines):
    embedded, sharded = engines
    topic = embedded.search(SearchRequest(facet_limit=1)).facets["topic"][0]
    for typed in (topic.value.upper(), topic.value.lower() + "s"):  # "CRUDE", "crudes": the topic Crude
        request = SearchRequest(filters={"topic": (typed,)}, facet_limit=0)
        ours, theirs = embedded.search(request), sharded.search(request)
        assert theirs.total == ours.total == topic.count, typed
        if typed.isupper():  # (typed in the plural, the embedded engine also lists it at 0 as typed)
            assert facet_counts(theirs) == facet_counts(ours)
    query = SearchRequest(q=f"topic:{topic.value.lower()}s oil", facet_limit=5)
    assert sharded.search(query).total == embedded.search(query).total


def test_an_article_lists_its_wire_copies_and_mapped_people_as_the_embedded_engine(engines):
    embedded, sharded = engines
    hit = next(h for h in embedded.search(SearchRequest(q="oil prices", collapse=False)).results if h.other_versions)
    ours, theirs = embedded.article(hit.id), sharded.article(hit.id)
    assert ours is not None and theirs is not None
    assert {v.id for v in theirs.versions} == {v.id for v in ours.versions} != set()
    assert sorted(theirs.people) == sorted(ours.people)
