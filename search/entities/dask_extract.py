"""Entity extraction on a Dask distributed cluster: `dateline reindex --dask tcp://HOST:PORT`.

The articles' text parts go to the cluster in batches; each worker process loads spaCy once and
finds the model's spans as the in-process path does (search.entities.extract), and they are
cooked into people and places here with each article's context, so the entities are the same. A worker that dies mid-batch costs that batch a rerun on another worker: the scheduler
reassigns the tasks of a lost worker (up to distributed's `allowed-failures`), and `retries`
covers a batch that raised. Results come back in order, with a bounded number of batches in flight.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from search.article import Article, Entities
from search.entities.extract import ArticleContext, article_context, article_parts, cook

BATCH_ARTICLES = 32
IN_FLIGHT_PER_WORKER = 2

_worker_extractor: Any = None  # one EntityExtractor per worker process, loaded on its first batch


def extract_batch(parts: list[tuple[str, ...]]) -> list[Any]:
    """Runs on a Dask worker: the model's spans (RawArticle) for a batch of articles' parts."""
    global _worker_extractor
    if _worker_extractor is None:
        from search.entities.extract import EntityExtractor

        _worker_extractor = EntityExtractor(workers=1)
    return list(_worker_extractor.extract_parts_many(parts))


class DaskUnavailable(ConnectionError):
    """The scheduler cannot be reached; the message names it."""


class DaskExtractor:
    """An entity extractor (EntityExtractorLike) that runs spaCy on a Dask cluster."""

    def __init__(self, address: str, batch_size: int = BATCH_ARTICLES, retries: int = 2, timeout: float = 10.0) -> None:
        from distributed import Client

        self.address = address
        self.batch_size = batch_size
        self.retries = retries
        try:
            self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except OSError as error:
            raise DaskUnavailable(f"the Dask scheduler at {address} cannot be reached ({error})") from None

    def raw_many(self, articles: Iterable[Article]) -> Iterator[Any]:
        """The model's spans for each article, in order (what the entity cache keeps)."""
        return self._raw(article_parts(article) for article in articles)

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]:
        """Entities for each article, in order: spans from the workers, cooked here with the
        article's context, as the in-process extractor does."""
        contexts: deque[ArticleContext] = deque()

        def parts() -> Iterator[tuple[str, ...]]:
            for article in articles:
                contexts.append(article_context(article))
                yield article_parts(article)

        for raw in self._raw(parts()):
            yield cook(raw, contexts.popleft())

    def _raw(self, parts: Iterator[tuple[str, ...]]) -> Iterator[Any]:
        batches = iter(lambda: list(islice(parts, self.batch_size)), [])
        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        pending: deque = deque()
        for batch in batches:
            pending.append(self.client.submit(extract_batch, batch, retries=self.retries, pure=False))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DaskExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
