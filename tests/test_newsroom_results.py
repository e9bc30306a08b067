"""Issue 13's results: wire copies folded, feeds, exports and cursors, on a real index of real corpora.

The index holds Reuters-21578's first file (its wire copies: the same story filed twice, retitled
or trimmed), bdnews24 and Dhaka Tribune, and one undated copy of a Reuters story written here
from the real text (feeds must give it the time it was indexed). It is built by the real indexer
(entities left out: they are not what is tested) and served by the real Flask app.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import feedparser
import orjson
import pytest

from helpers import NoEntities, shared_path, write_jsonl
from search.article import Article
from search.index import duplicates
from search.index.indexer import reindex
from search.index.store import current_generation
from search.readers import read_corpus
from search.results import SearchRequest

pytestmark = [pytest.mark.shared]

# A story Reuters filed three times in reut2-000.sgm (ids as the reader makes them).
MANILA = {"7f543aa851519384", "84bdd26a0c4a66cb", "d5f341db2a76532a"}
# Retitled copies: "MOBIL PLANS TO OPEN OFFICE IN PEKING" / "MOBIL PLAN TO OPEN PEKING OFFICE, CHINA DAILY SAYS".
MOBIL = {"034b5f2f43d322f8", "af8e9f0f2850cf55"}
UNDATED = "undated-manila-copy"


def real_paths() -> list[Path]:
    return [
        shared_path("corpus", "reuters21578", "reut2-000.sgm"),
        shared_path("corpus", "bdnews24"),
        shared_path("corpus", "dhakatribune"),
    ]


def read_articles(paths: list[Path]) -> dict[str, Article]:
    return {a.id: a for a in read_corpus(paths) if isinstance(a, Article)}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> list[Path]:
    paths = real_paths()
    manila = read_articles(paths[:1])["7f543aa851519384"]
    extra = tmp_path_factory.mktemp("extra")
    # The story again, its last paragraph dropped and no date: an undated wire copy.
    body = manila.body_text.split("\n\n")
    write_jsonl(
        extra / "copies.jsonl",
        [
            {
                "id": UNDATED,
                "title": manila.title.title(),
                "source": "Manila Desk",
                "body": body[:-1] if len(body) > 1 else body,
            }
        ],
    )
    return [*paths, extra]


@pytest.fixture(scope="module")
def index_dir(corpus, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("index")
    report = reindex(corpus, folder, workers=1, extractor=NoEntities())
    assert report.copy_groups > 20 and not report.skipped
    return folder


@pytest.fixture(scope="module")
def app(index_dir):
    from web import create_app

    return create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0})


@pytest.fixture
def client(app):
    return app.test_client()


def search(client, **params) -> dict:
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.data
    return response.json


# --- wire copies --------------------------------------------------------------------------


def test_real_wire_copies_are_grouped_and_templated_reports_are_not():
    articles = read_articles(real_paths()[:1])
    signatures = {
        key: duplicates.signature(duplicates.article_text(a.title, a.body_text)) for key, a in articles.items()
    }
    groups = duplicates.group(duplicates.Signatures.of(signatures))
    assert len({groups[key] for key in MANILA}) == 1 and MANILA <= set(groups)
    assert groups["034b5f2f43d322f8"] == groups["af8e9f0f2850cf55"]
    # Earnings reports share their template word for word and differ in the figures: never one story.
    earnings = [key for key, a in articles.items() if a.title.endswith(" NET") and len(a.body_text.split()) > 25]
    assert len(earnings) > 20
    grouped = [key for key in earnings if key in groups]
    assert len(grouped) <= len(earnings) // 10


def test_results_fold_copies_count_articles_and_list_the_other_versions(client):
    folded = search(client, q="manila debt bonds", size=50)
    every = search(client, q="manila debt bonds", size=50, collapse="off")
    assert folded["total"] == every["total"]  # totals count articles
    assert folded["facets"] == every["facets"]
    folded_ids = [h["id"] for h in folded["results"]]
    every_ids = [h["id"] for h in every["results"]]
    assert MANILA | {UNDATED} <= set(every_ids)
    shown = (MANILA | {UNDATED}) & set(folded_ids)
    assert len(shown) == 1  # one article per group
    hit = next(h for h in folded["results"] if h["id"] in shown)
    assert hit["other_versions"] == 3
    assert {v["id"] for v in hit["versions"]} == (MANILA | {UNDATED}) - shown
    assert folded["collapse"] is True and every["collapse"] is False
    story = search(client, q='"said to offer debt bonds"')
    assert story["total"] == 4 and story["groups"] == 1 and story["pages"] == 1 and len(story["results"]) == 1
    assert search(client, q='"said to offer debt bonds"', collapse="off")["pages"] == 1
    assert len(search(client, q='"said to offer debt bonds"', collapse="off")["results"]) == 4


def test_paging_counts_groups(client):
    first = search(client, q="bank", size=10)
    assert first["groups"] < first["total"]
    assert first["pages"] == -(-first["groups"] // 10)
    ids = [h["id"] for page in range(1, first["pages"] + 1) for h in search(client, q="bank", page=page)["results"]]
    assert len(ids) == len(set(ids)) == first["groups"]


def test_the_article_page_lists_its_other_versions(client):
    data = client.get("/api/articles/034b5f2f43d322f8").json
    assert [v["id"] for v in data["versions"]] == ["af8e9f0f2850cf55"]
    html = client.get("/articles/034b5f2f43d322f8").get_data(as_text=True)
    assert "Other versions of this story" in html and "/articles/af8e9f0f2850cf55" in html
    page = client.get("/?q=manila+debt+bonds").get_data(as_text=True)
    assert "3 other versions" in page and "collapse=off" in page


def test_an_incremental_reindex_only_touches_the_groups_it_changes(corpus, pristine, tmp_path):
    folder = tmp_path / "index"
    shutil.copytree(pristine, folder)
    before = duplicates.load_groups(current_generation(folder).path)
    extra = corpus[-1]
    changed = tmp_path / "changed"
    shutil.copytree(extra, changed)
    # The undated copy is rewritten as another story: it leaves the Manila group, nothing else moves.
    write_jsonl(
        changed / "copies.jsonl",
        [
            {
                "id": UNDATED,
                "title": "Monsoon floods",
                "source": "Manila Desk",
                "body": [
                    "Heavy rain flooded low-lying districts of the city on "
                    "Tuesday, and schools closed while the water rose along "
                    "the river banks for a second day running."
                ],
            }
        ],
    )
    # prune: the copies file now lives in another folder (the guard against removing what was indexed)
    report = reindex([*corpus[:-1], changed], folder, workers=1, extractor=NoEntities(), prune=True)
    assert not report.full and report.updated == 1 and report.signed == 1  # the others' signatures kept
    after = duplicates.load_groups(current_generation(folder).path)
    assert UNDATED in before and UNDATED not in after
    assert {k: v for k, v in before.items() if k != UNDATED} == after
    assert report.groups_changed == 1


@pytest.fixture(scope="module")
def pristine(corpus, tmp_path_factory) -> Path:
    """An index the tests that change one copy first (built once)."""
    folder = tmp_path_factory.mktemp("pristine")
    reindex(corpus, folder, workers=1, extractor=NoEntities())
    return folder


# --- feeds --------------------------------------------------------------------------------


def test_every_search_has_a_valid_atom_feed_newest_first(client):
    page = client.get("/?q=bank&sort=relevance&page=2").get_data(as_text=True)
    assert (
        '<link rel="alternate" type="application/atom+xml" title="This search as a feed" '
        'href="/feed.atom?q=bank&amp;sort=relevance">' in page
    )
    response = client.get("/feed.atom?q=bank&sort=relevance")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == 50
    times = [entry.updated_parsed for entry in feed.entries]
    assert times == sorted(times, reverse=True)
    newest = search(client, q="bank", sort="newest", size=50)
    assert [e.link.rsplit("/", 1)[1] for e in feed.entries] == [h["id"] for h in newest["results"]]
    assert feed.feed.title == "Dateline: bank"


def test_entry_ids_are_stable_and_an_undated_article_is_updated_when_indexed(client, index_dir):
    one = feedparser.parse(client.get("/feed.atom?q=manila").data)
    other = feedparser.parse(client.get("/feed.atom?q=%22debt+bonds%22&collapse=off").data)
    ids = {e.link.rsplit("/", 1)[1]: e.id for e in one.entries}
    for entry in other.entries:
        article_id = entry.link.rsplit("/", 1)[1]
        if article_id in ids:
            assert ids[article_id] == entry.id
    assert len({e.id for e in other.entries}) == len(other.entries)
    undated = next(e for e in other.entries if e.link.endswith("/" + UNDATED))
    assert "published" not in undated
    indexed = search(client, q='"debt bonds"', collapse="off", size=50)
    hit = next(h for h in indexed["results"] if h["id"] == UNDATED)
    assert hit["published"] is None and hit["indexed"]
    assert undated.updated == hit["indexed"]


# --- exports ------------------------------------------------------------------------------


def test_csv_export_reads_back_with_the_csv_module(client):
    response = client.get("/api/search.csv?q=bank&collapse=off")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.is_streamed
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    every = search(client, q="bank", collapse="off", size=100)
    assert len(rows) == every["total"] == int(response.headers["X-Total-Count"])
    assert [r["id"] for r in rows[:100]] == [h["id"] for h in every["results"]]
    first = every["results"][0]
    assert rows[0]["title"] == first["title"] and rows[0]["published"] == (first["published"] or "")
    assert float(rows[0]["score"]) == first["score"]


def test_jsonl_export_matches_the_documented_row(client):
    from jsonschema import Draft202012Validator

    openapi = client.get("/api/openapi.json").json
    schema = openapi["components"]["schemas"]["ExportRow"]
    response = client.get("/api/search.jsonl?q=opec")
    lines = response.get_data().splitlines()
    folded = search(client, q="opec", size=100)
    assert len(lines) == folded["groups"]
    for line in lines:
        Draft202012Validator(schema).validate(orjson.loads(line))
    assert client.get("/api/search?q=opec&format=jsonl").get_data() == response.get_data()
    page = client.get("/?q=opec").get_data(as_text=True)
    assert 'href="/api/search.csv?q=opec"' in page and 'href="/api/search.jsonl?q=opec"' in page


def test_exports_stop_at_the_export_limit_with_a_cursor_to_go_on(index_dir):
    from web import create_app

    client = create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0, "EXPORT_LIMIT": 7}).test_client()
    response = client.get("/api/search.csv?q=bank&collapse=off")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 7
    more = client.get(
        "/api/search.csv", query_string={"q": "bank", "collapse": "off", "cursor": response.headers["X-Next-Cursor"]}
    )
    after = list(csv.DictReader(io.StringIO(more.get_data(as_text=True))))
    every = search(client, q="bank", collapse="off", size=14)
    assert [r["id"] for r in rows + after] == [h["id"] for h in every["results"]]


def test_cli_formats(index_dir, capsys):
    from search.cli import main

    assert main(["search", "manila", "debt", "--index", str(index_dir), "--format", "csv", "--collapse", "off"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert MANILA | {UNDATED} <= {r["id"] for r in rows}
    assert main(["search", "manila", "debt", "--index", str(index_dir), "--format", "jsonl"]) == 0
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) < len(rows) and len((MANILA | {UNDATED}) & {line["id"] for line in lines}) == 1
    assert main(["search", "manila", "--index", str(index_dir), "--format", "json"]) == 0
    assert orjson.loads(capsys.readouterr().out)["groups"] >= 1
    assert main(["search", "manila", "--index", str(index_dir), "--cursor", "%%%"]) != 0
    assert "--cursor: cursor is malformed" in capsys.readouterr().err


# --- cursors ------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_cursor_paging_walks_the_whole_result_list(client, sort):
    every = [h["id"] for h in search(client, q="oil", sort=sort, size=100)["results"]]
    walked: list[str] = []
    data = search(client, q="oil", sort=sort, size=7)
    while True:
        walked += [h["id"] for h in data["results"]]
        if data["next_cursor"] is None:
            break
        data = search(client, q="oil", sort=sort, size=7, cursor=data["next_cursor"])
    assert walked == every[: len(walked)] and len(walked) == search(client, q="oil", sort=sort)["groups"]


@pytest.mark.parametrize(
    "query",
    [
        {"q": "oil", "cursor": "not-a-cursor"},
        {"q": "oil", "cursor": "W10"},  # base64 of []
        {"q": "oil", "cursor": "%00"},
        {"q": "oil", "format": "xml"},
        {"q": "oil", "collapse": "maybe"},
    ],
)
def test_malformed_cursor_format_or_collapse_is_a_400_in_the_error_shape(client, query):
    response = client.get("/api/search", query_string=query)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["parameter"] in query and error["status"] == 400 and error["message"]
    path = "/api/search.csv" if "format" not in query else "/api/search"
    assert client.get(path, query_string=query).status_code == 400


def test_a_cursor_must_come_back_with_its_own_search(client):
    cursor = search(client, q="oil", size=5)["next_cursor"]
    for other in ({"sort": "newest"}, {"collapse": "off"}, {"q": "gold"}, {"page": 2}):
        response = client.get("/api/search", query_string={"q": "oil", "size": 5, "cursor": cursor, **other})
        assert response.status_code == 400 and response.json["error"]["parameter"] == "cursor"


def test_a_cursor_from_another_index_version_is_refused(corpus, pristine, tmp_path):
    from web import create_app

    folder = tmp_path / "index"
    shutil.copytree(pristine, folder)
    client = create_app({"INDEX_DIR": str(folder), "REFRESH_INTERVAL": 0, "REFRESH_IN_BACKGROUND": False}).test_client()
    cursor = search(client, q="oil", size=5)["next_cursor"]
    assert search(client, q="oil", size=5, cursor=cursor)["results"]
    reindex(corpus, folder, full=True, workers=1, extractor=NoEntities())
    response = client.get("/api/search", query_string={"q": "oil", "size": 5, "cursor": cursor})
    assert response.status_code == 400
    assert "start again from the first page" in response.json["error"]["message"]


def test_the_engine_export_is_the_search_order(index_dir):
    from search.engine.whoosh_engine import open_search_engine

    engine = open_search_engine(index_dir)
    try:
        request = SearchRequest(q="trade", collapse=False, page_size=100)
        exported = engine.export(request, 10_000)
        assert [h.id for h in exported.results[:100]] == [h.id for h in engine.search(request).results]
        assert len(exported.results) == exported.total
    finally:
        engine.close()


def test_an_article_opened_from_folded_results_counts_its_place_among_groups(client):
    folded = search(client, q="manila", size=10)
    assert folded["groups"] < folded["total"]
    first = folded["results"][0]["id"]
    page = client.get(f"/articles/{first}", query_string={"q": "manila", "hit": 1}).get_data(as_text=True)
    assert f"Result 1 of {folded['groups']:,}" in page
