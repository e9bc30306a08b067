"""Settings: explicit > environment > default, and a malformed value is one line naming the variable."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from search.cli import main
from search.settings import BANGLADESH_TIME, PROJECT_ROOT, Settings, SettingsError, parse_utc_offset


def test_defaults_are_the_projects_corpus_index_and_bangladesh_time():
    settings = Settings.from_env({})
    assert settings.corpus == (PROJECT_ROOT / "corpus",)
    assert settings.index_dir == PROJECT_ROOT / "index"
    assert settings.default_timezone is BANGLADESH_TIME


def test_environment_variables_override_the_defaults(tmp_path):
    settings = Settings.from_env(
        {
            "DATELINE_CORPUS": f"{tmp_path / 'a'}:{tmp_path / 'b'}",
            "DATELINE_INDEX": str(tmp_path / "ix"),
            "DATELINE_TIMEZONE": "UTC",
        }
    )
    assert settings.corpus == (tmp_path / "a", tmp_path / "b")
    assert settings.index_dir == Path(tmp_path / "ix")
    assert settings.default_timezone is timezone.utc


@pytest.mark.parametrize("text, offset", [("+06:00", 6 * 60), ("-0500", -5 * 60), ("+05", 5 * 60), ("GMT", 0)])
def test_utc_offsets(text, offset):
    assert parse_utc_offset(text).utcoffset(None) == timedelta(minutes=offset)


def test_iana_zone_names():
    zone = parse_utc_offset("Asia/Dhaka")
    assert datetime(2023, 7, 30, tzinfo=zone).utcoffset() == timedelta(hours=6)


@pytest.mark.parametrize("bad", ["bogus", "+6:0:0", "Mars/Olympus"])
def test_a_malformed_zone_names_the_variable(bad):
    with pytest.raises(SettingsError, match="DATELINE_TIMEZONE"):
        Settings.from_env({"DATELINE_TIMEZONE": bad})


def test_the_cli_reports_a_malformed_setting_in_one_line(monkeypatch, capsys):
    monkeypatch.setenv("DATELINE_TIMEZONE", "bogus")
    assert main(["inspect", str(PROJECT_ROOT / "corpus")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("dateline inspect: DATELINE_TIMEZONE: unknown time zone 'bogus'")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_the_readme_documents_every_setting_of_the_registry():
    from search.settings import SETTINGS

    readme = (PROJECT_ROOT / "README.md").read_text()
    rows = {
        line.split("|")[1].strip().strip("`"): line for line in readme.splitlines() if line.startswith("| `DATELINE_")
    }
    assert set(rows) == {setting.env for setting in SETTINGS}
    for setting in SETTINGS:
        assert setting.help in rows[setting.env]
        if isinstance(setting.default, int):
            assert f"| {setting.default} |" in rows[setting.env]
        elif isinstance(setting.default, float):
            assert f"| {setting.default:g} |" in rows[setting.env]


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("DATELINE_MAX_PAGE_SIZE", "many", "must be an integer"),
        ("DATELINE_REFRESH_INTERVAL", "soon", "must be a number"),
        ("DATELINE_MAX_PAGE", "0", "at least 1"),
        ("DATELINE_CACHE_SIZE", "-1", "at least 0"),
    ],
)
def test_a_malformed_number_names_its_variable(variable, value, message):
    with pytest.raises(SettingsError, match=f"{variable}: .*{message}"):
        Settings.from_env({variable: value})


def test_limits_come_from_the_environment():
    limits = Settings.from_env({"DATELINE_MAX_PAGE_SIZE": "200", "DATELINE_MAX_QUERY_LENGTH": "5000"}).limits
    assert (limits.max_page_size, limits.max_query_length, limits.default_page_size) == (200, 5000, 10)
    # A default page size above the cap is lowered to it rather than making every search a 400.
    assert Settings.from_env({"DATELINE_MAX_PAGE_SIZE": "5"}).limits.default_page_size == 5
