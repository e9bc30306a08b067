"""The indexer on real things: JSONL corpora on disk, the real readers, spaCy, a Whoosh index in tmp_path."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import whoosh.index

from helpers import CountingExtractor, shared_spacy_extractor, story, write_jsonl
from search.index import store as index_store
from search.index.indexer import NothingRead, WouldRemove, load_manifest, reindex
from search.index.schema import build_schema, stored_values, to_document
from search.readers import read_corpus


def stored_documents(index_dir: Path) -> dict[str, dict]:
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        return {doc["id"]: doc for doc in searcher.all_stored_fields()}


def terms(index_dir: Path, field: str) -> set[str]:
    ix = index_store.open_live_index(index_dir)
    with ix.reader() as reader:
        return {t.decode() if isinstance(t, bytes) else t for t in reader.lexicon(field)}


@pytest.fixture
def spacy_extractor():
    return shared_spacy_extractor()


@pytest.fixture
def extractor(spacy_extractor):
    return CountingExtractor(spacy_extractor)


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    write_jsonl(folder / "europe.jsonl", [story("putin-macron")])
    write_jsonl(folder / "asia.jsonl", [story("dhaka-floods"), story("tokyo-shares")])
    return folder


def test_small_corpus_is_indexed_with_stored_fields_and_facets(corpus, tmp_path, extractor, spacy_extractor):
    index_dir = tmp_path / "index"
    report = reindex([corpus], index_dir, extractor=extractor)

    assert (report.read, report.added, report.removed, report.skipped) == (3, 3, 0, [])
    assert report.full and report.full_reason == "no index yet"
    assert report.extracted == 3 and extractor.calls == 3
    stored = stored_documents(index_dir)
    assert set(stored) == {"putin-macron", "dhaka-floods", "tokyo-shares"} or len(stored) == 3

    # Every stored field is exactly what schema.to_document makes of the article and its entities.
    articles = [a for a in read_corpus([corpus]) if not hasattr(a, "reason")]
    entities = list(spacy_extractor.extract_many(articles))
    for article, found in zip(articles, entities):
        expected = to_document(article, found)
        expected.pop("published")  # indexed for sorting, not stored
        # The time of indexing is now: the reindex above may have run in the second before.
        made, written = expected.pop("indexed_iso"), stored[article.id]["indexed_iso"]
        assert abs(datetime.fromisoformat(made) - datetime.fromisoformat(written)) < timedelta(minutes=1)
        assert {k: v for k, v in stored[article.id].items() if k != "indexed_iso"} == expected

    by_title = {doc["title"]: doc for doc in stored.values()}
    people = stored_values(by_title["Putin and Macron meet in Paris"], "person")
    assert "Vladimir Putin" in people and "Emmanuel Macron" in people
    assert "France" in stored_values(by_title["Putin and Macron meet in Paris"], "country")
    assert "Bangladesh" in stored_values(by_title["Floods cut roads around Dhaka"], "country")
    # Facet terms are the lower-cased values, searchable as field:value.
    assert {"france", "bangladesh", "japan"} <= terms(index_dir, "country")
    assert "vladimir putin" in terms(index_dir, "person")
    assert "dateline wire" in terms(index_dir, "source")
    ix = index_store.open_live_index(index_dir)
    assert ix.schema == build_schema() or set(ix.schema.names()) == set(build_schema().names())
    assert index_store.read_meta(index_store.current_generation(index_dir))["documents"] == 3


def test_incremental_reindex_adds_updates_and_removes(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    generation = index_store.current_generation(index_dir)
    version = index_store.live_version(index_dir)

    write_jsonl(
        corpus / "more.jsonl",
        [{"id": "lagos", "title": "Lagos port reopens", "body": ["The port of Lagos in Nigeria reopened on Monday."]}],
    )
    write_jsonl(
        corpus / "asia.jsonl", [story("dhaka-floods", title="Floods cut all roads around Dhaka"), story("tokyo-shares")]
    )
    (corpus / "europe.jsonl").unlink()
    extractor.calls = 0
    report = reindex([corpus], index_dir, extractor=extractor)

    assert not report.full
    assert (report.read, report.added, report.updated, report.removed, report.unchanged) == (3, 1, 1, 1, 1)
    assert extractor.calls == 2  # only the new and the changed article
    assert index_store.current_generation(index_dir) == generation  # updated in place ...
    assert index_store.live_version(index_dir) != version  # ... and searchers can tell
    stored = stored_documents(index_dir)
    assert sorted(doc["title"] for doc in stored.values()) == [
        "Floods cut all roads around Dhaka",
        "Lagos port reopens",
        "Tokyo shares rise",
    ]
    assert "nigeria" in terms_of_live_docs(index_dir, "country")
    assert report.documents == 3
    manifest, fresh = load_manifest(index_store.current_generation(index_dir))
    assert fresh and len(manifest) == 3


def terms_of_live_docs(index_dir: Path, field: str) -> set[str]:
    """Terms that still have live (not deleted) documents."""
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        return {value.lower() for doc in searcher.all_stored_fields() for value in stored_values(doc, field)}


def test_unchanged_corpus_rewrites_nothing_and_extracts_nothing(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    generation = index_store.current_generation(index_dir)
    files_before = {p.name: p.stat().st_mtime_ns for p in generation.path.iterdir()}
    version = index_store.live_version(index_dir)
    extractor.calls = 0

    report = reindex([corpus], index_dir, extractor=extractor)

    assert (report.read, report.unchanged, report.added, report.updated, report.removed) == (3, 3, 0, 0, 0)
    assert extractor.calls == 0 and report.extracted == 0
    assert not report.written
    assert index_store.live_version(index_dir) == version
    assert {p.name: p.stat().st_mtime_ns for p in generation.path.iterdir()} == files_before


def test_full_rebuild_reuses_cached_entities_and_keeps_the_previous_generation(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    first = index_store.current_generation(index_dir)
    extractor.calls = 0

    report = reindex([corpus], index_dir, full=True, extractor=extractor)

    assert report.full and report.full_reason == "requested" and report.added == 3
    assert extractor.calls == 0  # every article's entities came from the cache
    live = index_store.current_generation(index_dir)
    assert live.number == first.number + 1
    assert first.path.is_dir()  # kept for searchers that still hold it
    assert len(stored_documents(index_dir)) == 3

    (corpus / "europe.jsonl").unlink()
    report = reindex([corpus], index_dir, full=True, extractor=extractor)
    assert (report.added, report.removed, report.documents) == (2, 1, 2)
    assert [g.number for g in index_store.list_generations(index_dir)] == [live.number, live.number + 1]
    assert len(stored_documents(index_dir)) == 2


def test_format_change_rebuilds_automatically_without_extracting_again(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    live = index_store.current_generation(index_dir)
    meta = index_store.read_meta(live)
    index_store.write_meta(live, {**meta, "format": "schema0-analysis0"})
    extractor.calls = 0

    messages = []
    report = reindex([corpus], index_dir, extractor=extractor, log=messages.append)

    assert report.full and "index format changed: schema0-analysis0" in report.full_reason
    assert any("full rebuild" in m for m in messages)
    assert extractor.calls == 0
    assert index_store.current_generation(index_dir).number == live.number + 1


def test_bad_files_are_skipped_with_reasons_and_the_rest_indexed(corpus, tmp_path, extractor):
    (corpus / "empty.jsonl").write_bytes(b"")
    (corpus / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    write_jsonl(
        corpus / "mixed.jsonl",
        [{"id": "ok", "title": "Rain in Chittagong", "body": ["Rain fell in Chittagong, Bangladesh."]}],
    )
    with open(corpus / "mixed.jsonl", "ab") as file:
        file.write(b'{"title": "broken\n')
    index_dir = tmp_path / "index"

    report = reindex([corpus], index_dir, extractor=extractor)

    assert report.read == 4 and report.added == 4
    reasons = {Path(p.path).name: p.reason for p in report.skipped}
    assert set(reasons) == {"empty.jsonl", "image.txt", "mixed.jsonl"}
    assert "binary" in reasons["image.txt"]
    assert len(stored_documents(index_dir)) == 4
    text = "\n".join(report.summary())
    assert "3 skipped" in text and "image.txt" in text


def test_articles_of_a_file_that_became_unreadable_are_kept(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    # The file is still there but cannot be read now (e.g. half overwritten by a copy).
    (corpus / "asia.jsonl").write_bytes(b"\x00\x01\x02 not text any more")

    report = reindex([corpus], index_dir, extractor=extractor)
    assert (report.removed, report.kept, report.unchanged) == (0, 2, 1)
    assert len(stored_documents(index_dir)) == 3

    # A full rebuild carries them over from the previous generation too.
    report = reindex([corpus], index_dir, full=True, extractor=extractor)
    assert (report.added, report.kept) == (1, 2)
    assert sorted(d["title"] for d in stored_documents(index_dir).values()) == [
        "Floods cut roads around Dhaka",
        "Putin and Macron meet in Paris",
        "Tokyo shares rise",
    ]
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:  # the carried-over documents are still searchable and sortable
        from whoosh.query import Term

        hits = searcher.search(Term("body", "monsoon"), sortedby="published")
        assert [h["title"] for h in hits] == ["Floods cut roads around Dhaka"]

    # Deleting the file does remove them.
    (corpus / "asia.jsonl").unlink()
    report = reindex([corpus], index_dir, extractor=extractor)
    assert (report.removed, report.kept) == (2, 0)
    assert len(stored_documents(index_dir)) == 1


def test_a_corpus_without_articles_leaves_the_index_alone(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    version = index_store.live_version(index_dir)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(WouldRemove):  # another corpus: its articles would go
        reindex([empty], index_dir, extractor=extractor)
    with pytest.raises(NothingRead):
        reindex([empty], index_dir, extractor=extractor, prune=True)
    with pytest.raises(NothingRead):
        reindex([empty], index_dir, full=True, extractor=extractor, prune=True)
    assert index_store.live_version(index_dir) == version
    assert len(stored_documents(index_dir)) == 3
    assert len(index_store.list_generations(index_dir)) == 1


def test_a_second_reindex_waits_for_the_first(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    waited_for = []
    results = []
    with index_store.writer_lock(index_dir):
        with pytest.raises(index_store.IndexBusy) as busy:
            reindex([corpus], index_dir, extractor=extractor, wait=False)
        assert busy.value.pid == os.getpid()
        worker = threading.Thread(
            target=lambda: results.append(
                reindex([corpus], index_dir, full=True, extractor=extractor, on_wait=waited_for.append)
            )
        )
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive() and waited_for == [os.getpid()]
    worker.join(timeout=60)
    assert not worker.is_alive() and results[0].added == 3
    assert len(stored_documents(index_dir)) == 3


def test_open_live_index_without_an_index(tmp_path):
    with pytest.raises(index_store.IndexMissing):
        index_store.open_live_index(tmp_path / "nothing")
    assert index_store.live_version(tmp_path / "nothing") is None


def test_live_version_changes_with_every_reindex_that_writes(corpus, tmp_path, extractor):
    # What the searcher and the web app poll to reopen the index without a restart.
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    first = index_store.live_version(index_dir)
    reindex([corpus], index_dir, extractor=extractor)  # unchanged corpus: nothing written
    assert index_store.live_version(index_dir) == first
    write_jsonl(
        corpus / "more.jsonl", [{"id": "lagos", "title": "Lagos port reopens", "body": ["The port of Lagos reopened."]}]
    )
    reindex([corpus], index_dir, extractor=extractor)
    second = index_store.live_version(index_dir)
    assert second != first and index_store.open_live_index(index_dir).doc_count() == 4
    reindex([corpus], index_dir, full=True, extractor=extractor)
    assert index_store.live_version(index_dir) not in (first, second)
    assert index_store.live_version(index_dir).startswith(index_store.current_generation(index_dir).name)
    assert isinstance(index_store.open_live_index(index_dir), whoosh.index.Index)


def test_the_origin_is_stored_as_path_record_and_line(corpus, tmp_path, extractor):
    index_dir = tmp_path / "index"
    reindex([corpus], index_dir, extractor=extractor)
    stored = stored_documents(index_dir)["putin-macron"]
    assert (stored["origin_path"], stored["origin_record"], stored["origin_line"]) == (
        str(corpus / "europe.jsonl"),
        1,
        1,
    )
    assert "origin" not in stored  # no str(Origin) to parse back apart
    # Without its manifest file the indexer reads paths back from the stored fields, exactly.
    generation = index_store.current_generation(index_dir)
    (generation.path / index_store.MANIFEST_FILE).unlink()
    manifest, fresh = load_manifest(generation)
    assert not fresh and manifest["putin-macron"].path == str(corpus / "europe.jsonl")
