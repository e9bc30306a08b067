"""The search cluster engine against real searchd processes (Debian's sphinxsearch 2.2.11).

The module starts a 3-shard cluster with a mirror per shard on loopback (its own free ports, in a
tmp folder; stopped at the end), indexes the real bdnews24 pages into it and into an embedded
Whoosh index with the same entities, and compares the two engines on the same requests. Then the
faults: a killed primary, a shard with no replica left, a reindex with a node down, a stale mirror.
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cluster_fixtures import NODES, free_base_port, running_cluster
from helpers import shared_path, shared_spacy_extractor, write_jsonl
from search.cli import main
from search.cluster import local
from search.cluster.engine import ClusterSearch
from search.cluster.pointer import pointer_row
from search.cluster.reindex import ENTITY_CACHE_FILE, reindex_cluster
from search.cluster.spec import ClusterSpec
from search.cluster.writer import ClusterWriteError, ClusterWriter, pointer_report, replica_report
from search.engine.searcher import Searcher
from search.index.indexer import reindex
from search.index.store import entity_cache_path
from search.results import BadRequest, SearchRequest

pytestmark = [
    pytest.mark.shared,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("searchd") is None, reason="searchd missing: scripts/install --dev installs Debian's sphinxsearch"
    ),
]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from running_cluster(tmp_path_factory)


@pytest.fixture(scope="module")
def pages_whoosh(tmp_path_factory):
    index_dir = tmp_path_factory.mktemp("pages-whoosh")
    reindex([shared_path("corpus", "pages")], index_dir, workers=1, extractor=shared_spacy_extractor())
    return index_dir


@pytest.fixture(scope="module")
def engines(cluster, pages_whoosh):
    """The embedded engine and the cluster over the same pages and the same entities (the embedded
    index's entity cache is the cluster's: spaCy runs once)."""
    shutil.copy(entity_cache_path(pages_whoosh), cluster.folder / ENTITY_CACHE_FILE)
    report = reindex_cluster([shared_path("corpus", "pages")], cluster, workers=1, extractor=shared_spacy_extractor())
    assert report.extracted == 0 and report.documents == report.read > 150
    with Searcher.open(pages_whoosh) as embedded, ClusterSearch.open(cluster) as sharded:
        yield embedded, sharded


def facet_counts(result) -> dict[str, dict[str, int]]:
    """Every facet's values and counts; people as the corpus-level name map shows them on both."""
    return {name: {v.value: v.count for v in values} for name, values in result.facets.items()}


PARITY = [
    SearchRequest(q="coronavirus", facet_limit=0),
    SearchRequest(q="coronavirus dhaka", facet_limit=0),
    SearchRequest(q='"health minister"', facet_limit=0),
    SearchRequest(q="virus -china", facet_limit=0),
    SearchRequest(q="china OR italy", facet_limit=0),
    SearchRequest(q="hospital NOT (china OR wuhan)", facet_limit=0),
    SearchRequest(q="-coronavirus", facet_limit=0),
    SearchRequest(q="person:hasina", facet_limit=0),
    SearchRequest(q='country:"China" quarantine', facet_limit=0),
    SearchRequest(q="quarantine date:2020-03", facet_limit=0),
    SearchRequest(q="+dhaka airport", facet_limit=0),
    SearchRequest(q="bank of japan", facet_limit=0),  # read as any word: too few have all
    SearchRequest(q="covid-19", facet_limit=0),
    SearchRequest(q="coron*", facet_limit=0),
    SearchRequest(q="", facet_limit=0),
    SearchRequest(q="", sort="newest", date_from=date(2020, 3, 1), date_to=date(2020, 3, 15), facet_limit=0),
    SearchRequest(q="coronavirus", filters={"country": ("China",)}, facet_limit=0),
    SearchRequest(q="hospital", filters={"place": ("Dhaka", "Wuhan"), "source": ("bdnews24.com",)}, facet_limit=3),
    SearchRequest(q="test", facet_limit=5, page=2),
    SearchRequest(q="coronavirus", expand="place", facet_q="an", facet_limit=3),
    SearchRequest(q="coronavirus", filters={"country": ("USA",)}, facet_limit=0),  # an alias of United States
    # Forms the person name map shows as another value: Donald Trump, Sheikh Hasina.
    SearchRequest(q="", filters={"person": ("trump",)}, facet_limit=5),
    SearchRequest(q='person:"HPM Sheikh Hasina" OR person:sultanuzzaman', facet_limit=0),
    # Did you mean: the same corrections from the cluster's own term counts.
    SearchRequest(q="hospitel quarantine", facet_limit=0),
    SearchRequest(q="coronavirus dhakka", facet_limit=0),
]


@pytest.mark.parametrize("request_", PARITY, ids=lambda r: r.q or f"everything-{r.sort}")
def test_the_cluster_answers_as_the_embedded_engine(engines, request_):
    embedded, sharded = engines
    ours, theirs = embedded.search(request_), sharded.search(request_)
    overlap = len({h.id for h in ours.results} & {h.id for h in theirs.results})
    print(
        f"{request_.q!r}: total {ours.total} / {theirs.total}; top-{len(ours.results)} overlap {overlap}; "
        f"did you mean {theirs.suggestion!r}"
    )
    assert theirs.total == ours.total and theirs.total > 0
    assert theirs.pages == ours.pages and theirs.groups == ours.groups
    assert theirs.suggestion == ours.suggestion
    assert facet_counts(theirs) == facet_counts(ours)
    assert theirs.facets == ours.facets  # the same values, in the same order, the same selected
    assert theirs.dates == ours.dates
    assert theirs.facet_totals == ours.facet_totals
    assert theirs.interpreted_as == ours.interpreted_as and theirs.notice == ours.notice
    assert (theirs.next_cursor is None) == (ours.next_cursor is None)
    assert not theirs.extra
    if request_.sort == "newest":
        assert [h.published for h in theirs.results] == [h.published for h in ours.results]


@pytest.mark.parametrize(
    "request_",
    [
        SearchRequest(q="coronavirus", page_size=7),  # folded: a cursor is a position in the groups
        SearchRequest(q="coronavirus", page_size=7, collapse=False),  # else the last hit's weight and id
        SearchRequest(q="coronavirus", sort="newest", page_size=7, collapse=False),
        SearchRequest(q="hospital", sort="oldest", page_size=7, collapse=False),
        SearchRequest(q="", sort="newest", page_size=7),
    ],
    ids=lambda r: f"{r.q or 'everything'}-{r.sort}-{'folded' if r.collapse else 'unfolded'}",
)
def test_a_cursor_walks_the_pages_in_order(engines, request_):
    """Deep paging: each next_cursor continues where the page ended, as page numbers do."""
    _, sharded = engines
    first = sharded.search(request_)
    pages = min(first.pages, 4)
    by_page = [h.id for page in range(1, pages + 1) for h in sharded.search(replace(request_, page=page)).results]
    walked, cursor = [], None
    for _ in range(pages):
        result = sharded.search(replace(request_, cursor=cursor))
        assert result.total == first.total
        walked += [h.id for h in result.results]
        cursor = result.next_cursor
    assert walked == by_page and len(set(walked)) == len(walked) > request_.page_size
    with pytest.raises(BadRequest, match="another sort"):
        sharded.search(replace(request_, sort="oldest" if request_.sort != "oldest" else "newest", cursor=cursor))


def test_undated_articles_as_the_embedded_engine(engines):
    embedded, sharded = engines
    request = SearchRequest(undated=True, facet_limit=0)
    ours, theirs = embedded.search(request), sharded.search(request)
    assert theirs.total == ours.total and facet_counts(theirs) == facet_counts(ours)
    everything = SearchRequest(facet_limit=0)
    assert sharded.search(everything).dates.undated == embedded.search(everything).dates.undated


def test_snippets_mark_the_words_as_written(engines):
    _, sharded = engines
    hit = sharded.search(SearchRequest(q="hospitals")).results[0]
    assert "<mark>" in "".join(hit.snippets) + hit.title_html
    article = sharded.article(hit.id)
    assert article is not None and article.id == hit.id and article.body
    related = sharded.related(hit.id)
    assert related and hit.id not in {r.id for r in related}
    marked = sharded.marked_body(hit.id, "hospitals")
    assert marked is not None and len(marked) == len(article.body) and "<mark>" in "".join(marked)


@pytest.mark.parametrize("q", ["coronavirus~", "cor?navirus", "co*rus", "virus OR date:2020", "dhaka OR -china"])
def test_what_match_cannot_say_is_a_bad_request(engines, q):
    _, sharded = engines
    with pytest.raises(BadRequest, match="cannot be searched on the search cluster"):
        sharded.search(SearchRequest(q=q))


def test_the_web_app_serves_the_cluster_and_refuses_with_a_400(engines, cluster):
    from web import create_app

    client = create_app({"ENGINE": str(cluster.path), "REFRESH_INTERVAL": 0}).test_client()
    found = client.get("/api/search?q=coronavirus")
    assert found.status_code == 200 and found.json["total"] == engines[0].search(SearchRequest(q="coronavirus")).total
    refused = client.get("/api/search?q=coronavirus~")
    assert refused.status_code == 400 and "fuzzy" in refused.json["error"]["message"]
    assert client.get(f"/articles/{found.json['results'][0]['id']}").status_code == 200


def test_status_prints_one_line_per_node(cluster, capsys):
    assert main(["cluster", "status", str(cluster.folder)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len([line for line in lines if line.endswith(" up") and " pid " in line]) == NODES
    assert lines[0].startswith("coordinator")


def test_a_killed_primary_loses_no_search(engines, cluster):
    embedded, sharded = engines
    full = embedded.search(SearchRequest(q="coronavirus")).total
    primary = cluster.shards[1][0]
    local.stop_node(cluster, primary, kill=True)
    try:
        results = [sharded.search(SearchRequest(q=q)) for q in ["coronavirus", "dhaka", "coronavirus"] * 5]
        assert all(not r.extra for r in results)
        assert results[0].total == results[-1].total == full
    finally:
        local.start(cluster)


def test_a_killed_coordinator_loses_no_search(engines, cluster):
    embedded, sharded = engines
    local.stop_node(cluster, cluster.coordinator, kill=True)
    try:
        result = sharded.search(SearchRequest(q="coronavirus"))
        assert result.total == embedded.search(SearchRequest(q="coronavirus")).total and not result.extra
    finally:
        local.start(cluster)


def test_a_shard_with_no_replica_left_answers_with_the_rest_and_says_so(engines, cluster):
    from web import create_app

    embedded, sharded = engines
    full = embedded.search(SearchRequest(q="coronavirus")).total
    for node in cluster.shards[2]:
        local.stop_node(cluster, node, kill=True)
    try:
        result = sharded.search(SearchRequest(q="coronavirus"))
        assert 0 < result.total < full
        assert result.extra["missing_shards"] == [f"shard 2 ({', '.join(n.address for n in cluster.shards[2])})"]
        assert "did not answer" in (result.notice or "")
        client = create_app({"ENGINE": str(cluster.path), "REFRESH_INTERVAL": 0}).test_client()
        api = client.get("/api/search?q=coronavirus")
        assert api.status_code == 200 and api.json["extra"]["missing_shards"]
        page = client.get("/?q=coronavirus")
        assert page.status_code == 200 and b"did not answer" in page.data
    finally:
        local.start(cluster)


def test_a_reindex_with_a_node_down_fails_in_one_line_and_keeps_the_live_generation(engines, cluster, capsys):
    _, sharded = engines
    before = sharded.pointer.read()
    mirror = cluster.shards[0][1]
    local.stop_node(cluster, mirror, kill=True)
    try:
        status = main(
            [
                "reindex",
                "--engine",
                str(cluster.path),
                "--corpus",
                str(shared_path("corpus", "pages")),
                "--workers",
                "1",
                "-q",
            ]
        )
        error = capsys.readouterr().err.strip().splitlines()
        assert status == 1 and len(error) == 1
        assert mirror.name in error[0] and mirror.address in error[0] and "live generation is untouched" in error[0]
        assert sharded.pointer.read() == before
        assert sharded.search(SearchRequest(q="coronavirus")).total > 0
    finally:
        local.start(cluster)


def test_a_stale_mirror_is_reported_and_caught_up(engines, cluster, capsys):
    import pymysql

    _, sharded = engines
    live = sharded.pointer.read()
    mirror = cluster.shards[1][1]
    with pymysql.connect(host=mirror.host, port=mirror.port, autocommit=True) as connection:
        cursor = connection.cursor()
        cursor.execute(f"SELECT id FROM dateline_{live.slot} LIMIT 5")
        lost = ",".join(str(row[0]) for row in cursor.fetchall())
        cursor.execute(f"DELETE FROM dateline_{live.slot} WHERE id IN ({lost})")  # writes the mirror missed
        # and a switch whose copy of the pointer it missed: searches read the coordinator's
        cursor.execute(*pointer_row(replace(live, generation=live.generation - 1)))
    stale = [r for r in replica_report(cluster) if r.held != r.expected]
    assert [r.node for r in stale] == [mirror] and "STALE" in stale[0].line
    assert sharded.pointer.read() == live and not sharded.search(SearchRequest(q="coronavirus")).extra
    assert main(["cluster", "status", str(cluster.folder)]) == 0
    lagging = f"{mirror.label} at {mirror.address}: pointer copy names generation {live.generation - 1}"
    assert lagging in capsys.readouterr().out
    assert main(["cluster", "sync", str(cluster.folder)]) == 0
    out = capsys.readouterr().out
    assert f"{mirror.label}: copied {live.counts[1]} articles" in out and lagging in out
    assert all(r.held == r.expected for r in replica_report(cluster)) and not pointer_report(cluster)


def test_a_rebuild_switches_generations_while_searches_go_on(engines, cluster, tmp_path):
    embedded, sharded = engines
    before = sharded.pointer.read()
    full = embedded.search(SearchRequest(q="coronavirus")).total
    extra = write_jsonl(
        tmp_path / "extra" / "bengali.jsonl",
        [
            {
                "id": "bn-1",
                "source": "Dateline Wire",
                "title": "গণতন্ত্র ও নির্বাচন",
                "published": "2024-01-07T10:00:00+06:00",
                "body": ["ঢাকায় আজ গণতন্ত্র নিয়ে আলোচনা হয়েছে। coronavirus"],
            }
        ],
    )
    # (total, the total of the source facet's counts): one generation per search makes them equal
    # (every article has one source); hits of one generation and counts of another would not.
    seen: list[tuple[int, int]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def search_meanwhile() -> None:
        with ClusterSearch.open(cluster) as engine:
            engine.refresh_interval = 0.0  # reads the pointer before every search
            while not stop.is_set():
                try:
                    result = engine.search(SearchRequest(q="coronavirus", facet_limit=0))
                    seen.append((result.total, sum(v.count for v in result.facets["source"])))
                except BaseException as error:  # a search that failed is what this test looks for
                    failures.append(error)

    threads = [threading.Thread(target=search_meanwhile) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        reindex_cluster(
            [shared_path("corpus", "pages"), extra.parent], cluster, workers=1, extractor=shared_spacy_extractor()
        )
        sharded.refresh()
        after = [sharded.search(SearchRequest(q="coronavirus")).total for _ in range(3)]
        time.sleep(0.3)  # searches after the switch too
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert not failures and seen
    assert {total for total, _ in seen} <= {full, full + 1} and after == [full + 1] * 3
    assert all(total == counted for total, counted in seen), [s for s in seen if s[0] != s[1]]
    live = sharded.pointer.read()
    assert live.slot != before.slot and live.generation == before.generation + 1
    # Tokens of any script are indexable: the Bengali article is found by its words and phrases.
    for q in ["গণতন্ত্র", '"গণতন্ত্র ও নির্বাচন"', "title:নির্বাচন"]:
        assert [h.id for h in sharded.search(SearchRequest(q=q)).results] == ["bn-1"], q
    hit = sharded.search(SearchRequest(q="গণতন্ত্র")).results[0]
    assert "<mark>গণতন্ত্র</mark>" in hit.title_html


def test_a_switch_that_fails_leaves_the_old_generation_live_everywhere(engines, cluster):
    """The switch is one write to the coordinator's pointer: when it fails, no node names the new
    generation, and searches (reading a copy while the coordinator is down) find the old one."""
    _, sharded = engines
    before = sharded.pointer.read()
    full = sharded.search(SearchRequest(q="coronavirus")).total
    writer = ClusterWriter(cluster)
    try:
        generation = writer.new_generation()
        batch = writer.batch(generation)
        counts = batch.commit()  # an empty generation: were it live, searches would find nothing
        local.stop_node(cluster, cluster.coordinator, kill=True)
        with pytest.raises(ClusterWriteError, match="coord at .*live generation is untouched"):
            writer.publish(generation, counts)
        with ClusterSearch.open(cluster) as engine:
            assert engine.pointer.read() == before
            result = engine.search(SearchRequest(q="coronavirus"))
            assert result.total == full and not result.extra
    finally:
        writer.close()
        local.start(cluster)


def test_init_refuses_to_overwrite_a_cluster(cluster, capsys):
    assert main(["cluster", "init", str(cluster.folder), "--shards", "1"]) == 1
    assert "exists" in capsys.readouterr().err


def test_a_missing_cluster_file_is_one_line(tmp_path, capsys):
    assert main(["search", "--engine", str(tmp_path / "nowhere.toml"), "oil"]) == 1
    assert "no cluster file" in capsys.readouterr().err


def test_reindex_of_an_unreachable_cluster_names_the_node(tmp_path):
    folder = tmp_path / "down"
    local.init(folder, shards=1, mirrors=0, base_port=free_base_port(4))
    with pytest.raises(ClusterWriteError, match="coord at 127.0.0.1:"):
        reindex_cluster([Path("/nonexistent")], ClusterSpec.load(folder / "cluster.toml"), workers=1)
