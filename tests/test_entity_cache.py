"""The entity cache: it keeps spaCy's raw spans; hits skip spaCy, a new raw version misses, damage is survived."""

from __future__ import annotations

import itertools
import logging
import sqlite3
from dataclasses import replace

import pytest

import search.entities.cache as entity_cache
from helpers import shared_path
from search.article import Article, Origin
from search.entities.cache import EntityCache, entity_key, extract_with_cache
from search.entities.extract import EntityExtractor
from search.readers import read_file


class CountingExtractor(EntityExtractor):
    """The real extractor, counting the articles that reach spaCy."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def raw_many(self, articles):
        for article in articles:
            self.sent += 1
            yield from super().raw_many([article])


@pytest.fixture(scope="module")
def extractor():
    return CountingExtractor()


@pytest.fixture(scope="module")
def stories() -> list[Article]:
    items = read_file(shared_path("corpus", "reuters21578", "reut2-001.sgm"))
    return [item for item in itertools.islice(items, 40) if isinstance(item, Article)]


def test_second_pass_is_served_from_the_cache(tmp_path, extractor, stories):
    with EntityCache(tmp_path) as cache:
        extractor.sent = 0
        first = list(extract_with_cache(stories, extractor, cache, chunk_size=7))
        assert extractor.sent == len(stories)
        assert len(cache) == len({entity_key(s) for s in stories})
    with EntityCache(tmp_path / entity_cache.CACHE_FILENAME) as cache:  # reopened from disk
        extractor.sent = 0
        second = list(extract_with_cache(stories, extractor, cache, chunk_size=7))
    assert extractor.sent == 0
    assert second == first
    assert first == list(EntityExtractor().extract_many(stories))  # same as without a cache, in order


def test_only_misses_go_to_spacy(tmp_path, extractor, stories):
    with EntityCache(tmp_path) as cache:
        list(extract_with_cache(stories[:10], extractor, cache))
        extractor.sent = 0
        list(extract_with_cache(stories[:15], extractor, cache))
    assert extractor.sent == 5


def test_changed_text_or_new_raw_version_misses(tmp_path, extractor, stories, monkeypatch):
    story = stories[0]
    edited = Article(id=story.id, title=story.title + " (corrected)", body=story.body, origin=story.origin)
    assert entity_key(edited) != entity_key(story)
    with EntityCache(tmp_path) as cache:
        list(extract_with_cache(stories[:5], extractor, cache))
        monkeypatch.setattr(entity_cache, "RAW_VERSION", "next")
        assert cache.get_many([entity_key(s) for s in stories[:5]]) == {}
        extractor.sent = 0
        list(extract_with_cache(stories[:5], extractor, cache))
    assert extractor.sent == 5


def test_a_rule_change_reruns_no_model(tmp_path, extractor, stories, monkeypatch):
    """The cache holds the model's spans; entities are made from them on every read."""
    import search.entities.people as people

    with EntityCache(tmp_path) as cache:
        before = list(extract_with_cache(stories[:20], extractor, cache))
        named = next(name for entities in before for name in entities.people if len(name.split()) > 1)
        monkeypatch.setattr(people, "NOT_NAME_WORDS", people.NOT_NAME_WORDS | {named.split()[-1].casefold()})
        extractor.sent = 0
        after = list(extract_with_cache(stories[:20], extractor, cache))
    assert extractor.sent == 0
    assert any(named in entities.people for entities in before)
    assert not any(named in entities.people for entities in after)


def test_key_ignores_what_entities_do_not_come_from(stories):
    story = stories[0]
    moved = Article(
        id="other",
        title=story.title,
        subtitle=story.subtitle,
        body=story.body,
        origin=Origin("elsewhere.sgm", 9),
        source="Someone else",
        url="https://example.org/x",
    )
    assert entity_key(moved) == entity_key(story)


def test_a_change_of_outlet_is_honoured_without_a_model_run(tmp_path, extractor):
    """The outlet's country is a prior for places but nothing the model sees: the same text under
    no known outlet is served from the cache, and its places are judged without that prior."""
    dhaka = (
        item
        for item in read_file(shared_path("corpus", "dhakatribune", "dhakatribune_news_raw.csv"))
        if isinstance(item, Article) and "Gulshan" in item.text
    )
    articles = list(itertools.islice(dhaka, 12))
    unknown = [replace(article, source="", url=None) for article in articles]
    assert [entity_key(a) for a in unknown] == [entity_key(a) for a in articles]
    with EntityCache(tmp_path) as cache:
        at_home = list(extract_with_cache(articles, extractor, cache))
        extractor.sent = 0
        elsewhere = list(extract_with_cache(unknown, extractor, cache))
    assert extractor.sent == 0
    assert elsewhere != at_home  # some place got its country from the outlet alone
    assert elsewhere == list(extractor.extract_many(unknown))  # as without a cache


def test_concurrent_connections_read_while_one_writes(tmp_path):
    writer, reader = EntityCache(tmp_path), EntityCache(tmp_path)
    try:
        value = ((("PERSON", "Sergei Shoigu", "Minister", "Defence", -1), ("GPE", "Bakhmut", "in", "arrived", 3)), ())
        writer.put_many({"a": value})
        assert reader.get_many(["a", "missing"]) == {"a": value}
        # A write transaction in progress does not block readers (WAL) ...
        writer._db.execute("BEGIN IMMEDIATE")
        writer._db.execute("INSERT INTO entities VALUES ('b', ?)", (b'[[["PERSON","X Y","","",-1]],[]]',))
        assert reader.get_many(["a", "b"]) == {"a": value}
        writer._db.commit()
        # ... and readers see it once committed.
        assert reader.get_many(["b"]) == {"b": ((("PERSON", "X Y", "", "", -1),), ())}
        assert reader._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        writer.close()
        reader.close()


def test_corrupt_cache_file_is_rebuilt_with_a_warning(tmp_path, caplog):
    path = tmp_path / entity_cache.CACHE_FILENAME
    path.write_bytes(b"this is not a database" * 200)
    with caplog.at_level(logging.WARNING, logger="search.entities.cache"):
        cache = EntityCache(path)
    try:
        assert "unreadable" in caplog.text and str(path) in caplog.text
        assert (tmp_path / (path.name + ".broken")).exists()
        cache.put_many({"k": ((("PERSON", "Kim Jong Un", "", "", -1),), ())})
        assert cache.get_many(["k"]) == {"k": ((("PERSON", "Kim Jong Un", "", "", -1),), ())}
    finally:
        cache.close()


def test_damaged_row_is_a_miss(tmp_path):
    with EntityCache(tmp_path) as cache:
        cache._db.execute("INSERT INTO entities VALUES ('bad', ?)", (b"{not json",))
        cache._db.commit()
        assert cache.get_many(["bad"]) == {}
        cache.put_many({"bad": ((), ())})
        assert cache.get_many(["bad"]) == {"bad": ((), ())}


def test_unwritable_cache_does_not_stop_extraction(tmp_path, extractor, stories, caplog):
    with EntityCache(tmp_path) as cache:
        cache._db.close()
        cache._db = sqlite3.connect(f"file:{cache.path}?mode=ro", uri=True)
        with caplog.at_level(logging.WARNING, logger="search.entities.cache"):
            result = list(extract_with_cache(stories[:3], extractor, cache))
    assert len(result) == 3
    assert "write failed" in caplog.text
