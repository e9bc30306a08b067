"""A running app sees a reindex of its index folder without a restart."""

from __future__ import annotations

import threading
import time

import pytest

from helpers import build_index, write_jsonl
from web import create_app


def article(article_id: str, title: str, word: str) -> dict:
    return {
        "id": article_id,
        "title": title,
        "source": "Reuters",
        "published": "1987-06-01T10:00:00+00:00",
        "body": [f"The {word} was reported by officials in London on Monday."],
    }


def eventually(check, what: str, timeout: float = 60.0):
    """check() once it is truthy: a background reload takes a moment (no speed is asserted)."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)
    return result


@pytest.fixture
def corpus(tmp_path):
    folder = tmp_path / "corpus"
    write_jsonl(folder / "first.jsonl", [article("refresh-1", "Grain exports rise", "grain")])
    return folder


@pytest.mark.parametrize("background", [True, False], ids=["background", "in-request"])
@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_new_article_is_found_after_a_reindex_without_restart(tmp_path, corpus, full, background):
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    client = create_app(
        {"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0, "REFRESH_IN_BACKGROUND": background}
    ).test_client()
    assert client.get("/api/search?q=grain").json["total"] == 1
    assert client.get("/api/search?q=zeppelin").json["total"] == 0
    assert client.get("/?q=zeppelin").status_code == 200  # cached now, for this index version

    write_jsonl(corpus / "second.jsonl", [article("refresh-2", "Zeppelin lands in Rotterdam", "zeppelin")])
    build_index([corpus], index_dir, full=full)

    if background:  # the old index answers until the new one is open
        eventually(lambda: client.get("/api/search?q=zeppelin").json["total"], "the new article is found")
    data = client.get("/api/search?q=zeppelin").json
    assert data["total"] == 1 and data["results"][0]["id"] == "refresh-2"
    assert "/articles/refresh-2" in client.get("/?q=zeppelin").get_data(as_text=True)
    assert client.get("/api/articles/refresh-2").status_code == 200
    assert client.get("/api/search?q=grain").json["total"] == 1


def test_server_started_before_the_first_index_works_once_it_exists(tmp_path, corpus):
    index_dir = tmp_path / "index"
    client = create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0}).test_client()
    assert client.get("/api/search?q=grain").status_code == 503
    assert client.get("/").status_code == 503
    build_index([corpus], index_dir)
    assert client.get("/api/search?q=grain").json["total"] == 1
    assert client.get("/").status_code == 200


def test_searches_from_many_threads_during_a_reindex_all_succeed(tmp_path, corpus):
    index_dir = tmp_path / "index"
    build_index([corpus], index_dir)
    app = create_app({"INDEX_DIR": str(index_dir), "REFRESH_INTERVAL": 0, "CACHE_SIZE": 0})
    failures: list[str] = []
    stop = threading.Event()

    def hammer() -> None:
        client = app.test_client()
        while not stop.is_set():
            response = client.get("/api/search?q=grain")
            if response.status_code != 200 or response.json["total"] != 1:
                failures.append(f"{response.status_code} {response.get_data(as_text=True)[:200]}")

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for i in range(3):
            write_jsonl(corpus / f"more-{i}.jsonl", [article(f"more-{i}", f"Tanker number {i}", "tanker")])
            build_index([corpus], index_dir, full=i == 1)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    eventually(lambda: app.test_client().get("/api/search?q=tanker").json["total"] == 3, "all three found")
