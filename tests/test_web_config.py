"""Web settings: built-in defaults < DATELINE_* environment variables < explicit overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from search.results import MAX_PAGE_SIZE, MAX_QUERY_LENGTH
from search.settings import PROJECT_ROOT
from web import create_app


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DATELINE_INDEX", "DATELINE_MAX_PAGE_SIZE", "DATELINE_MAX_QUERY_LENGTH", "DATELINE_PAGE_SIZE",
                 "DATELINE_MAX_PAGE", "DATELINE_REFRESH_INTERVAL", "DATELINE_CACHE_SIZE"):
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
