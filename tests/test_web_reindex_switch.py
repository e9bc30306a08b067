"""The first answer after a reindex returns is the new index, on a real `dateline serve` with several workers."""

from __future__ import annotations

import subprocess

import orjson
import pytest

from helpers import build_index, get, start, stop, write_jsonl
from search.index.store import READERS_DIR, live_version, readers_behind, register_reader

pytestmark = pytest.mark.slow  # starts real servers


def article(article_id: str, word: str) -> dict:
    return {
        "id": article_id,
        "title": f"The {word} report",
        "published": "1987-06-01T10:00:00+00:00",
        "body": [f"The {word} was reported by officials in London on Monday."],
    }


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_every_request_after_reindex_returns_sees_the_new_index(tmp_path, full):
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    write_jsonl(corpus / "first.jsonl", [article("switch-1", "grain")])
    build_index([corpus], index_dir)
    process, port = start("--workers", "2", "--threads", "2", "--index", str(index_dir))
    try:
        # Both workers serve the index (each says so in the index folder) before the reindex.
        for _ in range(200):
            if len(list((index_dir / READERS_DIR).glob("*.json"))) == 2 and not readers_behind(
                index_dir, live_version(index_dir)
            ):
                break
            get(port, "/api/search?q=grain")
        for round_number in range(2):
            word = f"zeppelin{round_number}"
            write_jsonl(corpus / f"more-{round_number}.jsonl", [article(f"switch-z{round_number}", word)])
            build_index([corpus], index_dir, full=full)  # returns once the workers serve it
            assert readers_behind(index_dir, live_version(index_dir)) == []
            # New connections spread over both workers (SO_REUSEPORT): not one may answer from the old index.
            totals = [orjson.loads(get(port, f"/api/search?q={word}")[1])["total"] for _ in range(20)]
            assert totals == [1] * 20
    finally:
        assert stop(process) == 0


def test_a_reindex_does_not_wait_for_a_server_that_died(tmp_path):
    index_dir = tmp_path / "index"
    write_jsonl(tmp_path / "corpus" / "a.jsonl", [article("dead-1", "grain")])
    build_index([tmp_path / "corpus"], index_dir)
    gone = subprocess.Popen(["true"])
    gone.wait()
    register_reader(index_dir, "gen-000000/0", pid=gone.pid)
    assert readers_behind(index_dir, live_version(index_dir)) == []
    assert not (index_dir / READERS_DIR / f"{gone.pid}.json").exists()
    write_jsonl(tmp_path / "corpus" / "b.jsonl", [article("dead-2", "zeppelin")])
    build_index([tmp_path / "corpus"], index_dir)  # would wait a minute if the dead reader counted
