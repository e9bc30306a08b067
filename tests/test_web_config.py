"""Web settings: built-in defaults < DATELINE_* environment variables < explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.settings import PROJECT_ROOT, Limits
from web import create_app

MAX_PAGE_SIZE = Limits().max_page_size
MAX_QUERY_LENGTH = Limits().max_query_length


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "DATELINE_INDEX",
        "DATELINE_MAX_PAGE_SIZE",
        "DATELINE_MAX_QUERY_LENGTH",
        "DATELINE_PAGE_SIZE",
        "DATELINE_MAX_PAGE",
        "DATELINE_REFRESH_INTERVAL",
        "DATELINE_CACHE_SIZE",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_without_environment(clean_env):
    app = create_app()
    assert Path(app.config["INDEX_DIR"]) == PROJECT_ROOT / "index"
    assert app.config["MAX_PAGE_SIZE"] == MAX_PAGE_SIZE
    assert app.config["MAX_QUERY_LENGTH"] == MAX_QUERY_LENGTH


def test_environment_beats_defaults(clean_env, tmp_path):
    clean_env.setenv("DATELINE_INDEX", str(tmp_path / "ix"))
    clean_env.setenv("DATELINE_MAX_PAGE_SIZE", "25")
    clean_env.setenv("DATELINE_MAX_QUERY_LENGTH", "50")
    app = create_app()
    assert app.config["INDEX_DIR"] == str(tmp_path / "ix")
    assert app.config["MAX_PAGE_SIZE"] == 25
    assert app.config["MAX_QUERY_LENGTH"] == 50


def test_overrides_beat_environment(clean_env, tmp_path):
    clean_env.setenv("DATELINE_INDEX", str(tmp_path / "from-env"))
    clean_env.setenv("DATELINE_MAX_PAGE_SIZE", "25")
    app = create_app({"INDEX_DIR": tmp_path / "from-override", "MAX_PAGE_SIZE": 7})
    assert app.config["INDEX_DIR"] == str(tmp_path / "from-override")
    assert app.config["MAX_PAGE_SIZE"] == 7
    assert app.config["MAX_QUERY_LENGTH"] == MAX_QUERY_LENGTH  # untouched: the default


def test_environment_limits_are_enforced(clean_env, tmp_path):
    clean_env.setenv("DATELINE_MAX_PAGE_SIZE", "5")
    clean_env.setenv("DATELINE_MAX_QUERY_LENGTH", "10")
    client = create_app({"INDEX_DIR": tmp_path}).test_client()
    response = client.get("/api/search?size=6")
    assert response.status_code == 400
    assert response.json["error"]["parameter"] == "size"
    assert "between 1 and 5" in response.json["error"]["message"]
    response = client.get("/api/search", query_string={"q": "x" * 11})
    assert response.status_code == 400 and response.json["error"]["parameter"] == "q"


@pytest.mark.parametrize("value", ["many", "1.5", ""])
def test_malformed_environment_value_names_the_variable(clean_env, value):
    clean_env.setenv("DATELINE_MAX_PAGE_SIZE", value)
    if value == "":
        assert create_app().config["MAX_PAGE_SIZE"] == MAX_PAGE_SIZE  # empty means unset
        return
    with pytest.raises(ValueError, match="DATELINE_MAX_PAGE_SIZE"):
        create_app()


def test_serve_reports_a_malformed_variable_in_one_line(clean_env):
    from search.cli import main

    clean_env.setenv("DATELINE_MAX_QUERY_LENGTH", "lots")
    assert main(["serve", "--port", "0"]) == 1


# --- the limits the README documents are the ones enforced, by the web, the CLI and the searcher ---


@pytest.fixture(scope="module")
def big_index(tmp_path_factory):
    """160 dated articles that all have the word "harbour": more than the default page-size cap."""
    from datetime import datetime, timedelta, timezone

    from helpers import index_articles, made_article

    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    articles = [
        made_article(
            f"h{i:03d}", f"Harbour report {i}", f"Ships in the harbour, day {i}.", published=start + timedelta(days=i)
        )
        for i in range(160)
    ]
    return index_articles(tmp_path_factory.mktemp("big-index"), articles)


def test_a_raised_page_size_cap_lets_more_results_through(clean_env, big_index):
    clean_env.setenv("DATELINE_MAX_PAGE_SIZE", "200")
    client = create_app({"INDEX_DIR": str(big_index)}).test_client()
    data = client.get("/api/search?q=harbour&page_size=150").json
    assert data["page_size"] == 150 and len(data["results"]) == 150 and data["total"] == 160
    assert data["notice"] is None
    response = client.get("/api/search?q=harbour&page_size=201")
    assert response.status_code == 400 and "between 1 and 200" in response.json["error"]["message"]


def test_a_raised_query_length_limit_searches_the_whole_query(clean_env, big_index):
    clean_env.setenv("DATELINE_MAX_QUERY_LENGTH", "5000")
    client = create_app({"INDEX_DIR": str(big_index)}).test_client()
    query = ("harbour " * 625)[:4999] + "x"  # 5000 characters
    assert len(query) == 5000
    data = client.get("/api/search", query_string={"q": query}).json
    assert data["total"] == 160 and "longer than" not in (data["notice"] or "")
    response = client.get("/api/search", query_string={"q": query + "y"})
    assert response.status_code == 400 and "the limit is 5000" in response.json["error"]["message"]


def test_the_cli_enforces_the_same_limits(clean_env, big_index, capsys):
    from search.cli import main

    clean_env.setenv("DATELINE_MAX_PAGE_SIZE", "200")
    assert main(["search", "harbour", "--page-size", "150", "--json", "--index", str(big_index)]) == 0
    import orjson

    data = orjson.loads(capsys.readouterr().out)
    assert data["page_size"] == 150 and len(data["results"]) == 150
    assert main(["search", "harbour", "--page-size", "201", "--index", str(big_index)]) == 1
    assert "--page-size: page_size must be between 1 and 200" in capsys.readouterr().err


def test_the_searcher_clamps_to_its_limits_with_a_notice(big_index):
    from search.engine.searcher import Searcher
    from search.results import SearchRequest

    with Searcher.open(big_index, limits=Limits(max_page_size=200)) as searcher:
        result = searcher.search(SearchRequest(q="harbour", page_size=150))
        assert len(result.results) == 150 and result.notice is None
    with Searcher.open(big_index, limits=Limits(max_page_size=20)) as searcher:
        result = searcher.search(SearchRequest(q="harbour", page_size=150))
        assert len(result.results) == 20 and "At most 20" in result.notice
