"""The engine's parts for big archives: facet and date columns saved once per commit and mapped,
segments kept as separate files, and relevance pages taken from the best matches only, with the
same hits, counts and cursors as when every match is ordered (on the real pages and Reuters)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import orjson
import pytest

from helpers import NoEntities, ReutersTags, fixture_articles, same_collection, shared_path, write_jsonl
from search.engine import searcher as searcher_module
from search.engine.searcher import Searcher
from search.index.columns import COLUMNS_PREFIX, Collection, FacetColumn
from search.index.indexer import reindex
from search.index.store import current_generation
from search.results import SearchRequest


def mapped(array: np.ndarray) -> bool:
    """A read-only view of a memory-mapped file (not an array built in memory)."""
    return isinstance(array.base, np.memmap) and not array.flags.writeable


def saved_columns(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(f"{COLUMNS_PREFIX}*"))


def test_the_reindex_saves_each_commits_columns_and_servers_map_them(tmp_path):
    corpus = write_jsonl(tmp_path / "corpus" / "news.jsonl", fixture_articles())
    index_dir = tmp_path / "index"
    reindex([corpus.parent], index_dir, workers=1, extractor=NoEntities())
    folder = current_generation(index_dir).path
    assert not list(folder.glob("*.seg")), "segments are separate files, never one compound file"
    (saved,) = saved_columns(folder)  # written by the reindex, before any server opened the index

    with Searcher.open(index_dir) as searcher:
        reader = searcher._current().searcher.reader()
        assert saved == f"{COLUMNS_PREFIX}{reader.generation()}"
        collection = searcher._current().collection
        assert mapped(collection.live) and mapped(collection.day) and mapped(collection.facets["place"].doc_of)
        same_collection(collection, Collection.from_reader(reader))
        before = searcher.search(SearchRequest(q="rain", facet_limit=0))

        # An incremental reindex is a new commit: its columns replace the old ones, and they count it.
        records = fixture_articles()
        records.append({**records[0], "id": "one-more-rain-story", "title": "More rain in Sylhet"})
        write_jsonl(corpus, records)
        reindex([corpus.parent], index_dir, workers=1, extractor=NoEntities())
        (fresh,) = saved_columns(folder)
        assert fresh != saved
        assert searcher.refresh()
        after = searcher.search(SearchRequest(q="rain", facet_limit=0))
        assert after.total == before.total + 1
        reader = searcher._current().searcher.reader()
        assert fresh == f"{COLUMNS_PREFIX}{reader.generation()}"
        assert mapped(searcher._current().collection.live)
        same_collection(searcher._current().collection, Collection.from_reader(reader))


def test_missing_or_broken_columns_are_built_again_by_the_opener(tmp_path):
    corpus = write_jsonl(tmp_path / "corpus" / "news.jsonl", fixture_articles())
    index_dir = tmp_path / "index"
    reindex([corpus.parent], index_dir, workers=1, extractor=NoEntities())
    folder = current_generation(index_dir).path
    with Searcher.open(index_dir) as searcher:
        expected = replace(searcher.search(SearchRequest(facet_limit=0)), took_ms=0)
    (saved,) = folder.glob(f"{COLUMNS_PREFIX}*")
    labels = orjson.loads((saved / "labels.json").read_bytes())
    (saved / "labels.json").write_bytes(orjson.dumps({**labels, "code": "made-by-other-code"}))
    with Searcher.open(index_dir) as searcher:
        assert not mapped(searcher._current().collection.live)  # made again by this code
        assert replace(searcher.search(SearchRequest(facet_limit=0)), took_ms=0) == expected
    (saved / "labels.json").write_text("{not json")
    with Searcher.open(index_dir) as searcher:
        assert not mapped(searcher._current().collection.live)  # built from the stored articles
        assert replace(searcher.search(SearchRequest(facet_limit=0)), took_ms=0) == expected
    with Searcher.open(index_dir) as searcher:  # and saved again
        assert mapped(searcher._current().collection.live)
    shutil.rmtree(saved)
    with Searcher.open(index_dir) as searcher:  # an index written before columns were saved
        assert replace(searcher.search(SearchRequest(facet_limit=0)), took_ms=0) == expected
    assert saved_columns(folder) == [saved.name]  # and saved for the next opener


# --- top-k pages against every match ordered ----------------------------------------------------


@pytest.fixture(scope="module")
def real_indexes(tmp_path_factory) -> dict[str, Path]:
    corpora = {
        "pages": [shared_path("corpus", "pages")],
        "reuters": [
            shared_path("corpus", "reuters21578", "reut2-000.sgm"),
            shared_path("corpus", "reuters21578", "reut2-001.sgm"),
        ],
    }
    out = {}
    for name, corpus in corpora.items():
        folder = tmp_path_factory.mktemp(f"{name}-index")
        reindex(corpus, folder, workers=1, extractor=NoEntities())
        out[name] = folder
    return out


QUERIES = {
    "pages": ["coronavirus", "dhaka health", "virus -china", '"prime minister"', "flight* airport", "bangladesh"],
    "reuters": ["oil prices", "shr", "bank rate", '"stock split"', "dividend OR profit", "trade -japan", "the company"],
}


@pytest.mark.shared
@pytest.mark.parametrize("corpus", ["pages", "reuters"])
def test_relevance_pages_from_the_best_matches_equal_every_match_ordered(real_indexes, corpus, monkeypatch):
    cut = []
    best_scored = searcher_module.best_scored

    def counting(docnums, scores, limit):
        kept = best_scored(docnums, scores, limit)
        cut.append(len(kept[0]) < len(docnums))
        return kept

    with Searcher.open(real_indexes[corpus]) as searcher:
        for q in QUERIES[corpus]:
            for collapse in (True, False):
                for page, size in ((1, 10), (3, 10), (2, 50)):
                    request = SearchRequest(q=q, collapse=collapse, page=page, page_size=size, facet_limit=0)
                    monkeypatch.setattr(searcher_module, "best_scored", counting)
                    fast = searcher.search(request)
                    monkeypatch.setattr(
                        searcher_module, "best_scored", lambda docnums, scores, limit: (docnums, scores)
                    )
                    every = searcher.search(request)
                    assert replace(fast, took_ms=0) == replace(every, took_ms=0), (q, collapse, page)
                    assert fast.total > 0, q
                    if fast.next_cursor:  # the cursor goes on where the full order goes on
                        after = searcher.search(replace(request, page=1, cursor=fast.next_cursor))
                        assert after.results and after.results[0].id not in {h.id for h in fast.results}
    assert any(cut), "no query took its page from part of its matches: the test compared nothing"


def test_groups_are_counted_as_distinct_group_numbers():
    rng = np.random.default_rng(7)
    for size in (0, 1, 50, 5000):
        # Articles alone have a negative number of their own; wire copies share a number from 0.
        numbers = np.where(rng.random(size) < 0.5, -1 - np.arange(size), rng.integers(0, max(1, size // 10), size))
        assert searcher_module.count_groups(numbers) == np.unique(numbers).size


@pytest.mark.shared
def test_facet_counts_by_document_equal_one_pass_over_every_pair(tmp_path):
    """Facet counts of few matches read only their documents' pairs: on Reuters' own people and
    places tags they equal one pass over every pair, for matches from a handful to all, and a
    document's values are the same read either way; pairs out of docnum order take the pass."""
    index_dir = tmp_path / "index"
    reindex([shared_path("corpus", "reuters21578", "reut2-000.sgm")], index_dir, workers=1, extractor=ReutersTags())
    with Searcher.open(index_dir) as searcher:
        collection = searcher._current().collection
    rng = np.random.default_rng(11)
    size = collection.size
    for name in ("person", "place", "country"):
        column = collection.facets[name]
        assert column.doc_of.size > 50 and column._doc_starts() is not None, name
        for share in (0.002, 0.05, 0.2, 0.5, 0.8, 0.97, 1.0):
            mask = rng.random(size) < share
            expected = np.bincount(column.value_of[mask[column.doc_of]], minlength=len(column.labels))
            assert np.array_equal(column.counts(mask), expected), (name, share)
            assert np.array_equal(column.counts(mask, np.flatnonzero(mask)), expected), (name, share)
        for docnum in [0, *rng.integers(0, size, 40).tolist(), size - 1]:
            expected_values = [column.labels[v] for v in column.value_of[column.doc_of == docnum].tolist()]
            assert column.values_of(docnum) == expected_values
        shuffled = rng.permutation(column.doc_of.size)
        unordered = FacetColumn(name, column.labels, column.keys, column.doc_of[shuffled], column.value_of[shuffled])
        mask = rng.random(size) < 0.01
        assert unordered._doc_starts() is None
        assert np.array_equal(unordered.counts(mask), column.counts(mask))


@pytest.mark.shared
@pytest.mark.parametrize("corpus", ["pages", "reuters"])
def test_date_ordered_pages_from_the_first_matches_equal_every_match_ordered(real_indexes, corpus, monkeypatch):
    """Newest or oldest first, a page is taken from the matches that can be among its first hits
    (found by a partition, ties at the cut kept): the same hits, totals and cursors as when every
    match is ordered."""
    ordered = searcher_module._Search._ordered
    cut = []

    def every(self, query, matched, filtered, limit):
        return ordered(self, query, matched, filtered, None)

    def counting(self, query, matched, filtered, limit):
        found = ordered(self, query, matched, filtered, limit)
        cut.append(len(found[0]) < int(matched.sum()))
        return found

    with Searcher.open(real_indexes[corpus]) as searcher:
        for q in [*QUERIES[corpus], ""]:
            for sort in ("newest", "oldest"):
                for collapse in (True, False):
                    for page, size in ((1, 10), (3, 10), (2, 50)):
                        request = SearchRequest(
                            q=q, sort=sort, collapse=collapse, page=page, page_size=size, facet_limit=0
                        )
                        monkeypatch.setattr(searcher_module._Search, "_ordered", counting)
                        fast = searcher.search(request)
                        monkeypatch.setattr(searcher_module._Search, "_ordered", every)
                        assert replace(fast, took_ms=0) == replace(searcher.search(request), took_ms=0), (q, sort)
    assert any(cut), "no page was taken from part of the matches: the test compared nothing"
