"""`dateline inspect` through the real CLI entry point."""

from __future__ import annotations

import subprocess
import sys

import orjson
import pytest

from helpers import shared_path
from search.cli import main
from search.settings import PROJECT_ROOT

PAGE = (
    " date 2021-09-02     বাংলা\n\n    Nairobi hosts climate summit\n\n"
    "    Leaders from 40 countries arrive in Kenya\n\n    AFP\n"
    "    Published : 02 September 2021, 04:15 PM\n    Updated : 02 September 2021, 06:00 PM\n\n"
    "    Delegates met in Nairobi on Thursday.\n\n    Talks continue on Friday.\n\n"
    "    RELATED STORIES\n    Some other story\n"
)


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "page.txt").write_text(PAGE, encoding="utf-8")
    (tmp_path / "feed.jsonl").write_bytes(b'{"title": "Lima", "body": ["x"], "published": "when?"}\n{oops\n')
    return tmp_path


def test_text_mode(folder, capsys):
    assert main(["inspect", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "1. Lima" in out and "2. Nairobi hosts climate summit" in out
    assert "subtitle   Leaders from 40 countries arrive in Kenya" in out
    assert "source     AFP" in out
    assert "published  2021-09-02 16:15+06:00" in out
    assert "updated    2021-09-02 18:00+06:00" in out
    assert "body       2 paragraphs, 62 characters" in out
    assert "Some other story" not in out
    assert f"warning: {folder / 'feed.jsonl'} (record 1): unreadable published date 'when?'; left empty" in out
    assert f"error: {folder / 'feed.jsonl'} (record 2): line 2 is not valid JSON" in out
    assert err.strip() == "dateline inspect: 2 articles read, 1 error, 1 warning"


def test_json_mode(folder, capsys):
    assert main(["inspect", "--json", str(folder)]) == 0
    out, err = capsys.readouterr()
    lines = [orjson.loads(line) for line in out.splitlines()]
    problems = [line["problem"] for line in lines if "problem" in line]
    articles = [line for line in lines if "problem" not in line]
    assert [a["title"] for a in articles] == ["Lima", "Nairobi hosts climate summit"]
    nairobi = articles[1]
    assert nairobi["published"] == "2021-09-02T16:15:00+06:00"
    assert nairobi["updated"] == "2021-09-02T18:00:00+06:00"
    assert nairobi["body"] == ["Delegates met in Nairobi on Thursday.", "Talks continue on Friday."]
    assert (nairobi["paragraphs"], nairobi["characters"]) == (2, 62)
    assert nairobi["origin"] == {"path": str(folder / "page.txt"), "record": None, "line": 3}
    assert articles[0]["warnings"] == ["unreadable published date 'when?'; left empty"]
    assert [(p["severity"], p["record"]) for p in problems] == [("warning", 1), ("error", 2)]
    assert "people" not in nairobi
    assert err.strip() == "dateline inspect: 2 articles read, 1 error, 1 warning"


def test_missing_path_exits_1_with_one_line(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope")]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"dateline inspect: no such file or directory: {tmp_path / 'nope'}\n"


def test_nothing_readable_exits_1(tmp_path, capsys):
    (tmp_path / "empty.txt").write_bytes(b"")
    assert main(["inspect", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert f"error: {tmp_path / 'empty.txt'}: empty file" in out
    assert err.splitlines()[-1] == f"dateline inspect: nothing readable in {tmp_path}"


def test_limit(folder, capsys):
    assert main(["inspect", "--limit", "1", str(folder)]) == 0
    out, err = capsys.readouterr()
    assert "1. Lima" in out and "Nairobi" not in out
    assert "stopped at --limit" in err


@pytest.mark.shared
def test_inspect_pages_gives_the_182_articles(capsys):
    assert main(["inspect", "--json", str(shared_path("corpus", "pages"))]) == 0
    out, err = capsys.readouterr()
    lines = [orjson.loads(line) for line in out.splitlines()]
    assert len(lines) == 182 and not any("problem" in line for line in lines)
    assert err.strip() == "dateline inspect: 182 articles read, 0 errors, 0 warnings"


def test_help_as_a_real_process():
    for args in (["--help"], ["inspect", "--help"]):
        done = subprocess.run(
            [sys.executable, "-m", "search.cli", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=60
        )
        assert done.returncode == 0
        assert "inspect" in done.stdout


def test_json_as_a_real_process_piped_to_head(folder):
    done = subprocess.run(
        f"{sys.executable} -m search.cli inspect --json {folder} | head -2",
        shell=True,
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        timeout=60,
    )
    first, second = map(orjson.loads, done.stdout.splitlines())
    assert first["problem"]["severity"] == "warning" and second["title"] == "Lima"
    assert "Traceback" not in done.stderr


def test_entities_in_json_keep_the_stream_order(folder, capsys):
    assert main(["inspect", "--json", "--entities", str(folder)]) == 0
    out, _ = capsys.readouterr()
    lines = [orjson.loads(line) for line in out.splitlines()]
    assert [("problem" if "problem" in line else line["title"]) for line in lines] == [
        "problem",
        "Lima",
        "problem",
        "Nairobi hosts climate summit",
    ]
    nairobi = lines[3]
    assert {"name": "Nairobi", "country": "Kenya"} in nairobi["places"]
    assert isinstance(nairobi["people"], list)


@pytest.mark.shared
def test_entities_of_the_seed(capsys):
    assert main(["inspect", "--entities", str(shared_path("corpus", "seed"))]) == 0
    out, _ = capsys.readouterr()
    assert "people     Sergei Shoigu, Kim Jong Un" in out
    assert "Bakhmut (Ukraine)" in out and "Putin" not in out
    capsys.readouterr()
    assert main(["inspect", "--json", "--entities", str(shared_path("corpus", "seed"))]) == 0
    (seed,) = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert seed["people"] == ["Sergei Shoigu", "Kim Jong Un"]
    assert {"name": "Pyongyang", "country": "North Korea"} in seed["places"]
