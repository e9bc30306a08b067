"""Whoosh as the engine: the Searcher on the read side, index generations in a folder on the
write side (search.engine.interface)."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from datetime import datetime, timezone
from pathlib import Path

import whoosh.index

from search.article import Article, Entities
from search.engine.interface import IndexEngine, SearchEngine
from search.index import store as index_store
from search.index.columns import cached_collection
from search.index.schema import StoredArticle, build_schema, to_document
from search.index.store import Generation
from search.index.writer import DocumentSink
from search.settings import Limits


def open_search_engine(index_dir: Path | str, limits: Limits | None = None) -> SearchEngine:
    """The live index of `index_dir` for searching; raises IndexMissing when there is none."""
    from search.engine.searcher import Searcher

    return Searcher.open(index_dir, limits=limits)


class WhooshBatch:
    """DocumentSink (one writer, or writer processes for large batches) behind IndexBatch."""

    def __init__(self, generation: Generation, workers: int, expected: int = 0) -> None:
        self.generation = generation
        self.sink = DocumentSink(whoosh.index.open_dir(str(generation.path)), workers, expected=expected)

    def add(self, article: Article, entities: Entities, content_hash: str) -> None:
        self.sink.add(to_document(article, entities, content_hash))

    def delete(self, article_id: str) -> None:
        self.sink.delete(article_id)

    def carry_over(self, source: Generation, article_ids: Collection[str]) -> None:
        ix = whoosh.index.open_dir(str(source.path))
        with ix.searcher() as searcher:
            for article_id in article_ids:
                stored = searcher.document(id=article_id)
                if stored is None:
                    continue
                doc = dict(stored)
                if doc.get("published_iso"):  # indexed for sorting, not stored: made again
                    doc["published"] = (
                        datetime.fromisoformat(doc["published_iso"]).astimezone(timezone.utc).replace(tzinfo=None)
                    )
                self.sink.add(doc)

    @property
    def pending(self) -> bool:
        return self.sink.pending

    def commit(self) -> None:
        self.sink.commit()
        save_columns(self.generation)

    def cancel(self) -> None:
        self.sink.cancel()


def save_columns(generation: Generation) -> None:
    """Builds the facet and date columns of the generation's latest commit and saves them beside it
    (search.index.columns): once, here, instead of in every server process that switches to it."""
    index = index_store.open_generation(generation)
    with index.reader() as reader:
        cached_collection(reader, generation.path)


class WhooshIndex:
    """Index generations of one index folder, written with Whoosh."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = Path(index_dir)

    def new_generation(self) -> Generation:
        return index_store.create_generation(self.index_dir, build_schema())

    def batch(self, generation: Generation, workers: int, expected: int = 0) -> WhooshBatch:
        return WhooshBatch(generation, workers, expected)

    def count(self, generation: Generation) -> int:
        return whoosh.index.open_dir(str(generation.path)).doc_count()

    def stored_articles(self, generation: Generation) -> Iterator[StoredArticle]:
        with whoosh.index.open_dir(str(generation.path)).searcher() as searcher:
            for fields in searcher.reader().all_stored_fields():
                yield StoredArticle.from_stored(fields)

    def publish(self, generation: Generation) -> None:
        index_store.publish(self.index_dir, generation)


def _conforms(index: WhooshIndex) -> IndexEngine:
    return index  # mypy checks that WhooshIndex implements the protocol
