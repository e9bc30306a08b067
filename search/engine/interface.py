"""The engine seam: what the web app, the CLI and the indexer ask of a search engine.

Whoosh is the first implementation (search.engine.whoosh_engine); a search cluster implements
the same two protocols. Only Dateline's own types cross the seam: requests and results
(search.results), articles and their entities (search.article), index generations
(search.index.store.Generation, a name and a folder). What does not depend on the engine stays
above it: parsing query strings into requests and validating them (web.params, the CLI,
SearchRequest.validate), reading and cleaning articles, naming people and places.

An engine computes a result whole: hits, facet counts, the date histogram and totals.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Protocol, runtime_checkable

from search.article import Article, Entities
from search.index.schema import StoredArticle
from search.index.store import Generation
from search.results import ArticleView, Hit, SearchRequest, SearchResult


@runtime_checkable
class SearchEngine(Protocol):
    """The read side, one per serving process; safe to share between threads."""

    def search(self, request: SearchRequest) -> SearchResult:
        """One page of results with facet counts, the date histogram and the totals. Raises
        BadRequest for a request that means nothing; beyond the limits it clamps, with a notice."""
        ...

    def export(self, request: SearchRequest, limit: int) -> SearchResult:
        """Up to `limit` hits in the search's order (after its cursor, if any), without snippets or
        facets: the rows of an export. `next_cursor` continues after the last of them."""
        ...

    def article(self, article_id: str) -> ArticleView | None: ...

    def marked_body(self, article_id: str, q: str) -> list[str] | None:
        """The article's paragraphs, HTML-escaped, with the words query `q` matches in <mark>
        (the article page opened from a search); None for an unknown id."""
        ...

    def related(self, article_id: str, limit: int = 5) -> list[Hit]:
        """Articles like this one, best first, never itself."""
        ...

    def suggest(self, q: str) -> str | None:
        """A "did you mean" for a query that finds little, from the archive's own words."""
        ...

    def refresh(self) -> bool:
        """Serve the newest published generation; True if that changed anything."""
        ...

    def close(self) -> None: ...


class IndexBatch(Protocol):
    """Changes to one generation, applied together by commit()."""

    def add(self, article: Article, entities: Entities, content_hash: str) -> None: ...

    def delete(self, article_id: str) -> None: ...

    def carry_over(self, source: Generation, article_ids: Collection[str]) -> None:
        """Copy these articles unchanged from another generation (their files could not be read)."""
        ...

    @property
    def pending(self) -> bool:
        """Whether commit() would change anything."""
        ...

    def commit(self) -> None: ...

    def cancel(self) -> None: ...


@runtime_checkable
class IndexEngine(Protocol):
    """The write side, used by one reindex at a time (search.index.store.writer_lock)."""

    def new_generation(self) -> Generation:
        """An empty generation beside the live one; nobody reads it until publish()."""
        ...

    def batch(self, generation: Generation, workers: int, expected: int = 0) -> IndexBatch:
        """A batch of changes to `generation` (`expected`: how many articles it will hold, a hint)."""
        ...

    def count(self, generation: Generation) -> int:
        """Articles in a generation, as committed."""
        ...

    def stored_articles(self, generation: Generation) -> Iterator[StoredArticle]:
        """Every article of a generation as stored (slow: for recovering a lost manifest)."""
        ...

    def publish(self, generation: Generation) -> None:
        """Make `generation` the live one, atomically; searches see it on their next refresh."""
        ...
