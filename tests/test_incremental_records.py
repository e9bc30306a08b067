"""An incremental reindex parses only the records whose raw bytes changed (search.readers.records)."""

from __future__ import annotations

from datetime import timedelta, timezone
from pathlib import Path

import pytest

from helpers import write_jsonl
from search.index import store as index_store
from search.index.indexer import load_manifest, reindex
from search.readers import ReadOptions, jsonl

WORDS = "harbour council budget river ferry market school clinic bridge power grid rain season farmers".split()


def record(number: int, **changes) -> dict:
    body = " ".join(WORDS[(number + k) % len(WORDS)] for k in range(40))
    return {
        "id": f"story-{number}",
        "title": f"Story number {number} about the {WORDS[number % len(WORDS)]}",
        "published": f"2021-03-{1 + number % 28:02d}T10:00:00",  # no zone: read in the default zone
        "body": [f"Paragraph one of story {number}: {body}.", f"Paragraph two of story {number}."],
        "people": ["Sheikh Hasina"],
        "places": [{"name": "Dhaka", "country": "Bangladesh"}],
        **changes,
    }


@pytest.fixture
def parsed(monkeypatch) -> list[str]:
    """The ids of the JSON Lines records turned into articles (parsed and cleaned), in order."""
    seen: list[str] = []
    build = jsonl.article_from_record

    def counting(record, origin, options):
        seen.append(record.get("id"))
        return build(record, origin, options)

    monkeypatch.setattr(jsonl, "article_from_record", counting)
    return seen


def write_corpus(folder: Path, records: list[dict]) -> Path:
    """Stories 0-9 in a.jsonl, the others in b.jsonl (a record moved to another file is parsed again)."""
    write_jsonl(folder / "a.jsonl", [r for r in records if int(r["id"].split("-")[1]) < 10])
    write_jsonl(folder / "b.jsonl", [r for r in records if int(r["id"].split("-")[1]) >= 10])
    return folder


def stored_titles(index_dir: Path) -> dict[str, str]:
    ix = index_store.open_live_index(index_dir)
    with ix.searcher() as searcher:
        return {doc["id"]: doc["title"] for doc in searcher.all_stored_fields()}


def test_only_changed_and_new_records_are_parsed(tmp_path, parsed):
    records = [record(n) for n in range(30)]
    corpus, index_dir = write_corpus(tmp_path / "corpus", records), tmp_path / "index"
    reindex([corpus], index_dir)
    assert len(parsed) == 30
    parsed.clear()

    again = reindex([corpus], index_dir)
    assert parsed == [] and again.unchanged == again.skipped_unparsed == 30 and not again.written

    records[3] = record(3, title="A new title for story three")
    records[20] = record(20, body=["A corrected body for story twenty, long enough to be shingled " * 3])
    records[25] = record(25, people=["Mirza Fakhrul Islam Alamgir"])  # only a supplied entity changed
    del records[10]
    records.append(record(99))
    write_corpus(corpus, records)
    report = reindex([corpus], index_dir)

    assert sorted(parsed) == ["story-20", "story-25", "story-3", "story-99"]
    assert (report.read, report.added, report.updated, report.removed, report.unchanged) == (30, 1, 3, 1, 26)
    assert report.skipped_unparsed == 26
    titles = stored_titles(index_dir)
    assert titles["story-3"] == "A new title for story three" and "story-10" not in titles and "story-99" in titles
    manifest, fresh = load_manifest(index_store.current_generation(index_dir))
    assert fresh and sorted(manifest) == sorted(r["id"] for r in records)
    # Those parsed this time are recognised by their bytes next time.
    parsed.clear()
    assert reindex([corpus], index_dir).skipped_unparsed == 30 and parsed == []


def test_a_change_of_reader_options_parses_every_record_again(tmp_path, parsed):
    corpus, index_dir = write_corpus(tmp_path / "corpus", [record(n) for n in range(12)]), tmp_path / "index"
    reindex([corpus], index_dir)
    parsed.clear()

    london = ReadOptions(default_timezone=timezone(timedelta(hours=0)))
    report = reindex([corpus], index_dir, read_options=london)

    assert len(parsed) == 12 and report.skipped_unparsed == 0
    assert report.updated == 12  # every date is read in the other zone
    parsed.clear()
    assert reindex([corpus], index_dir, read_options=london).skipped_unparsed == 12 and parsed == []


def test_a_record_read_with_a_warning_is_parsed_every_time(tmp_path, parsed):
    records = [record(n) for n in range(6)] + [record(6, published="the day before yesterday")]
    corpus, index_dir = write_corpus(tmp_path / "corpus", records), tmp_path / "index"
    reindex([corpus], index_dir)
    parsed.clear()

    report = reindex([corpus], index_dir)

    assert parsed == ["story-6"] and report.unchanged == 7 and report.skipped_unparsed == 6
    assert report.warning_count == 1  # said again


def test_a_duplicate_is_found_among_skipped_records(tmp_path, parsed):
    records = [record(n) for n in range(10)]
    corpus, index_dir = write_corpus(tmp_path / "corpus", records), tmp_path / "index"
    reindex([corpus], index_dir)
    parsed.clear()

    # The same line twice, and a new record in an earlier file claiming the id of an unchanged one.
    write_jsonl(corpus / "a.jsonl", [record(n) for n in range(10)] + [record(4)])
    write_jsonl(corpus / "0-first.jsonl", [record(7, id="story-8", title="Another story with the id of story 8")])
    report = reindex([corpus], index_dir)

    assert report.duplicates == 2
    assert report.skipped_unparsed == 9  # all but story-8, whose id the new file took first
    assert sorted(parsed) == ["story-4", "story-8", "story-8"]
    assert stored_titles(index_dir)["story-8"] == "Another story with the id of story 8"


def test_one_article_text_files_are_skipped_by_their_bytes(tmp_path, monkeypatch):
    from search import readers

    read: list[str] = []
    plain = readers.read_plain_text

    def counting(path, text, options):
        read.append(Path(path).name)
        return plain(path, text, options)

    monkeypatch.setattr(readers, "read_plain_text", counting)
    corpus, index_dir = tmp_path / "bbc_news", tmp_path / "index"
    corpus.mkdir()
    for name in ("001.txt", "002.txt", "003.txt"):
        (corpus / name).write_text(f"Ferry service {name} resumes\n\n" + "The harbour ferry runs again today. " * 12)
    reindex([corpus], index_dir, extractor=FixedExtractor())
    read.clear()

    (corpus / "002.txt").write_text("Ferry service two stays shut\n\n" + "The harbour ferry stays in port. " * 12)
    report = reindex([corpus], index_dir, extractor=FixedExtractor())

    assert read == ["002.txt"] and report.skipped_unparsed == 2
    assert (report.added, report.removed) == (1, 1)  # a text file's id comes from its title and text


class FixedExtractor:
    """No people, no places: these tests are about reading, not entities."""

    def extract_many(self, articles):
        from search.article import Entities

        for _ in articles:
            yield Entities(people=(), places=())
