"""`dateline reindex` end to end: the CLI, a SIGKILL in the middle of a rebuild, concurrent runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import whoosh.index
from whoosh.qparser import QueryParser

from helpers import CountingExtractor, shared_spacy_extractor, story, write_jsonl
from search.cli import main
from search.index import store as index_store
from search.index.indexer import reindex
from search.settings import PROJECT_ROOT

PEOPLE = ["Angela Merkel", "Joe Biden", "Narendra Modi", "Lula da Silva", "Cyril Ramaphosa", "Fumio Kishida"]
CITIES = ["Berlin", "Washington", "New Delhi", "Brasilia", "Pretoria", "Tokyo", "Nairobi", "Jakarta"]


def many_stories(count: int) -> list[dict]:
    """Short distinct wire stories, enough to make a rebuild take a moment."""
    return [
        {
            "id": f"wire-{n}",
            "title": f"Talks in {CITIES[n % len(CITIES)]} enter day {n}",
            "published": f"2023-{1 + n % 12:02d}-{1 + n % 28:02d}T12:00:00+00:00",
            "body": [
                f"{PEOPLE[n % len(PEOPLE)]} arrived in {CITIES[(n // 3) % len(CITIES)]} for round {n} "
                f"of talks on trade and grain exports."
            ],
        }
        for n in range(count)
    ]


def run_cli(*args: str, **kwargs) -> subprocess.Popen:
    # As the `dateline` script does (`python -m search.cli` would define a second CommandError).
    command = "import sys; from search.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen(
        [sys.executable, "-c", command, "reindex", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


@pytest.fixture
def small_corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    write_jsonl(folder / "stories.jsonl", [story("putin-macron"), story("dhaka-floods"), story("tokyo-shares")])
    return folder


@pytest.fixture
def extractor():
    return CountingExtractor(shared_spacy_extractor())


def test_cli_indexes_a_corpus_and_prints_a_summary(small_corpus, tmp_path, capsys, extractor):
    index_dir = tmp_path / "index"
    # Warm the entity cache in this process so the CLI run below needs no second spaCy load.
    reindex([small_corpus], index_dir, extractor=extractor)
    write_jsonl(
        small_corpus / "more.jsonl",
        [{"id": "lagos", "title": "Lagos port reopens", "body": ["The port of Lagos in Nigeria reopened on Monday."]}],
    )
    (small_corpus / "notes.txt").write_bytes(b"\x00\x01binary")

    status = main(["reindex", "--corpus", str(small_corpus), "--index", str(index_dir), "--workers", "1"])

    out, err = capsys.readouterr()
    assert status == 0
    assert "4 read, 1 added, 0 updated, 0 removed, 3 unchanged, 1 skipped" in out
    assert "notes.txt" in out and "binary" in out
    assert "entities: 1 extracted, 0 from cache" in out
    assert index_store.open_live_index(index_dir).doc_count() == 4
    assert "Traceback" not in err


def test_cli_exit_status_when_nothing_can_be_indexed(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "a.txt").write_bytes(b"\x00\x01binary")
    index_dir = tmp_path / "index"

    status = main(["reindex", "--corpus", str(bad), "--index", str(index_dir)])
    _, err = capsys.readouterr()
    assert status == 1
    assert err.startswith("dateline reindex: no article could be read from")
    assert "left as it was" in err and "Traceback" not in err

    assert index_store.current_generation(index_dir) is None

    # A wrong --corpus path is named, and nothing is created.
    fresh = tmp_path / "fresh-index"
    status = main(["reindex", "--corpus", str(tmp_path / "missing"), "--index", str(fresh)])
    _, err = capsys.readouterr()
    assert (status, err) == (1, f"dateline reindex: no such file or directory: {tmp_path / 'missing'}\n")
    assert not fresh.exists()


def test_cli_unwritable_index_folder_is_one_line(small_corpus, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    status = main(["reindex", "--corpus", str(small_corpus), "--index", str(blocker / "index")])
    _, err = capsys.readouterr()
    assert status == 1
    assert err.startswith("dateline reindex: could not write the index") and err.count("\n") == 1


@pytest.mark.slow
def test_sigkill_during_a_full_rebuild_leaves_the_previous_index_live(tmp_path, extractor):
    corpus = tmp_path / "corpus"
    write_jsonl(corpus / "wire.jsonl", many_stories(6000))
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    first = index_store.current_generation(index_dir)
    version = index_store.live_version(index_dir)

    process = run_cli("--full", "--corpus", str(corpus), "--index", str(index_dir), "--workers", "2")
    building = index_store.generation_path(index_dir, first.number + 1)
    # Kill it at an observable point, not after a guessed delay: the first job file handed to the
    # writer processes (Whoosh's MAIN.tmp in the new generation). 250 of 6,000 stories are then
    # written at most, so the rebuild is still under way; the writer processes exist.
    jobs = building / "MAIN.tmp"
    give_up = time.monotonic() + 300  # only so that a hung run cannot hang the suite
    while process.poll() is None and not (jobs.is_dir() and any(jobs.glob("*.doclist"))) and time.monotonic() < give_up:
        time.sleep(0.005)
    children = _children(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL, "the rebuild finished before it could be killed"

    # The previous generation is live, complete and searchable.
    assert index_store.live_version(index_dir) == version
    ix = index_store.open_live_index(index_dir)
    assert ix.doc_count() == 6000
    with ix.searcher() as searcher:
        hits = searcher.search(QueryParser("body", ix.schema).parse("grain Nairobi"), limit=3)
        assert len(hits) == 750  # every story of the talks in Nairobi
    # The writer processes died with their parent (none is left waiting for work).
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]

    # The next run cleans up the half-built generation and finds nothing to do.
    extractor.calls = 0
    report = reindex([corpus], index_dir, extractor=extractor)
    assert (report.unchanged, report.added, extractor.calls) == (6000, 0, 0)
    assert [g.name for g in index_store.list_generations(index_dir)] == [first.name]
    assert not list(index_dir.glob(".reindex-*.tmp"))  # the killed run's scratch tables are gone too


@pytest.mark.slow
def test_a_second_cli_reindex_waits_or_exits_with_a_message(small_corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([small_corpus], index_dir, extractor=extractor)
    args = ("--corpus", str(small_corpus), "--index", str(index_dir), "--workers", "1")

    with index_store.writer_lock(index_dir):
        refused = run_cli("--no-wait", *args)
        out, err = refused.communicate(timeout=60)
        assert refused.returncode == 1
        assert err.strip() == (
            f"dateline reindex: another reindex (pid {os.getpid()}) is running; "
            "try again when it has finished (or leave out --no-wait)"
        )

        waiting = run_cli("--full", *args)
        first_line = waiting.stderr.readline()
        assert first_line.strip() == f"dateline reindex: waiting for another reindex (pid {os.getpid()}) to finish"
        assert waiting.poll() is None
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "3 read, 3 added" in out

    # Two rebuilds started together: both succeed, one after the other, and the index is whole.
    pair = [run_cli("--full", *args), run_cli("--full", *args)]
    outputs = [p.communicate(timeout=120) for p in pair]
    assert [p.returncode for p in pair] == [0, 0], outputs
    live = index_store.current_generation(index_dir)
    assert live.number == 4
    assert index_store.open_live_index(index_dir).doc_count() == 3
    assert len(index_store.list_generations(index_dir)) == 2


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_parallel_writers_index_exactly_what_whoosh_itself_writes(tmp_path, extractor):
    """The writer processes use faster code paths; the index must not differ by one posting."""
    from whoosh.writing import SegmentWriter

    from search.article import Article
    from search.entities.cache import EntityCache, extract_with_cache
    from search.index.schema import build_schema, to_document
    from search.readers import read_corpus

    corpus = tmp_path / "corpus"
    write_jsonl(corpus / "wire.jsonl", many_stories(2500) + [story("putin-macron"), story("dhaka-floods")])
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor, workers=2)
    ours = index_store.open_live_index(index_dir)
    assert len(ours.reader().leaf_readers()) == 2  # written by two writer processes

    articles = [a for a in read_corpus([corpus]) if isinstance(a, Article)]
    with EntityCache(index_store.entity_cache_path(index_dir)) as cache:
        entities = list(extract_with_cache(articles, extractor, cache))
    (tmp_path / "reference").mkdir()
    reference = whoosh.index.create_in(str(tmp_path / "reference"), build_schema())
    writer = SegmentWriter(reference)
    for article, found in zip(articles, entities):
        writer.add_document(**to_document(article, found))
    writer.commit()

    assert _postings_by_id(ours) == _postings_by_id(reference)


def _postings_by_id(ix) -> dict:
    """Every posting (weight, positions), field length and stored document, keyed by article id."""
    with ix.searcher() as searcher:
        reader = searcher.reader()
        ids = {docnum: stored["id"] for docnum, stored in reader.iter_docs()}
        # indexed_iso is when each document was written: the two writes differ by the clock only.
        result: dict = {
            "stored": {
                ids[n]: {k: v for k, v in stored.items() if k != "indexed_iso"} for n, stored in reader.iter_docs()
            }
        }
        for fieldname, term in reader.all_terms():
            field = ix.schema[fieldname]
            matcher = reader.postings(fieldname, term)
            entries = {}
            while matcher.is_active():
                positions = matcher.value_as("positions") if field.format.supports("positions") else None
                entries[ids[matcher.id()]] = (matcher.weight(), positions)
                matcher.next()
            result[fieldname, term] = entries
        for fieldname in ("title", "subtitle", "body"):
            result["length", fieldname] = {ids[n]: reader.doc_field_length(n, fieldname) for n in ids}
        return result


def test_ctrl_c_during_entity_extraction_stops_cleanly(small_corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([small_corpus], index_dir, extractor=extractor)
    version = index_store.live_version(index_dir)
    write_jsonl(small_corpus / "wire.jsonl", many_stories(6000))  # new: spaCy runs in worker processes

    process = run_cli(
        "--corpus", str(small_corpus), "--index", str(index_dir), "--workers", "2", start_new_session=True
    )  # its own process group, as a terminal's Ctrl-C reaches
    deadline = time.monotonic() + 120
    while not _spacy_workers(process.pid) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = _spacy_workers(process.pid)
    assert workers, "spaCy's worker processes never started"
    time.sleep(2.0)
    os.killpg(process.pid, signal.SIGINT)
    try:
        _, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        pytest.fail("dateline reindex hung after Ctrl-C")

    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == "dateline reindex: interrupted"
    assert index_store.live_version(index_dir) == version  # nothing half-written became live
    assert index_store.open_live_index(index_dir).doc_count() == 3
    assert not [pid for pid in workers if _alive(pid)]


def _spacy_workers(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        try:
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
        except OSError:
            continue
    return found
