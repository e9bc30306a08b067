"""Entity extraction on a real Dask cluster: a scheduler and two worker processes started here,
one killed mid-run; the entities equal the in-process path's on real bdnews24 pages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cluster_fixtures import free_base_port
from helpers import shared_path, shared_spacy_extractor
from search.article import Article
from search.readers import read_corpus

pytestmark = [pytest.mark.shared, pytest.mark.slow]

DASK = Path(sys.executable).with_name("dask")


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """tcp://127.0.0.1:PORT with two single-threaded workers (no nanny: killing one kills it). The
    scheduler picks its own free port (other tests choose ports at the same time) and writes it
    to its scheduler file."""
    logs = tmp_path_factory.mktemp("dask")
    scheduler_file = logs / "scheduler.json"
    started = []

    def launch(*args: str, name: str) -> subprocess.Popen:
        log = (logs / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(DASK), *args], stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        )
        started.append(process)
        return process

    try:
        launch(
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-dashboard",
            "--scheduler-file",
            str(scheduler_file),
            name="scheduler",
        )
        address = scheduler_address(scheduler_file)
        workers = [
            launch(
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--name",
                f"w{n}",
                name=f"worker{n}",
            )
            for n in range(2)
        ]
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def scheduler_address(scheduler_file: Path, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return json.loads(scheduler_file.read_text())["address"]
        except (OSError, ValueError, KeyError):  # not written yet, or half written
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def pages(limit: int) -> list[Article]:
    found = [a for a in read_corpus([shared_path("corpus", "pages")]) if isinstance(a, Article)]
    return found[:limit]


def test_a_worker_killed_mid_run_costs_a_retry_not_the_run(dask_cluster):
    from search.entities.dask_extract import DaskExtractor

    address, workers = dask_cluster
    articles = pages(48)
    expected = list(shared_spacy_extractor().extract_many(articles))
    got = []
    killed = threading.Event()

    def kill_one_when_started() -> None:
        while len(got) < 4 and not killed.is_set():
            time.sleep(0.05)
        workers[0].send_signal(signal.SIGKILL)
        killed.set()

    killer = threading.Thread(target=kill_one_when_started)
    with DaskExtractor(address, batch_size=4) as extractor:
        killer.start()
        for entities in extractor.extract_many(articles):
            got.append(entities)
    killer.join()
    assert killed.is_set() and workers[0].wait(timeout=10) == -signal.SIGKILL
    assert len(got) == len(articles)
    assert got == expected
    assert sum(len(e.people) + len(e.places) for e in got) > 50


def test_reindex_with_dask_indexes_the_same_entities(dask_cluster, tmp_path):
    from search.cli import main
    from search.engine.searcher import Searcher
    from search.results import SearchRequest

    address, _ = dask_cluster
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for page in sorted(shared_path("corpus", "pages").glob("*.txt"))[:6]:
        (corpus / page.name).write_bytes(page.read_bytes())
    assert (
        main(
            [
                "reindex",
                "--dask",
                address,
                "--corpus",
                str(corpus),
                "--index",
                str(tmp_path / "ix"),
                "--workers",
                "1",
                "-q",
            ]
        )
        == 0
    )
    articles = [a for a in read_corpus([corpus]) if isinstance(a, Article)]
    people = {p for e in shared_spacy_extractor().extract_many(articles) for p in e.people}
    with Searcher.open(tmp_path / "ix") as searcher:
        listed = {f.value for f in searcher.search(SearchRequest(facet_limit=0)).facets["person"]}
    assert listed == people and people


def test_an_unreachable_scheduler_is_one_line(capsys, tmp_path):
    from search.cli import main

    port = free_base_port(1)
    assert (
        main(
            [
                "reindex",
                "--dask",
                f"tcp://127.0.0.1:{port}",
                "--corpus",
                str(tmp_path),
                "--index",
                str(tmp_path / "ix"),
                "-q",
            ]
        )
        == 1
    )
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and f"127.0.0.1:{port}" in error[0]
