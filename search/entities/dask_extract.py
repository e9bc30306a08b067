"""Entity extraction on a Dask distributed cluster: `dateline reindex --dask tcp://HOST:PORT`.

The articles' text parts (with their outlet's country) go to the cluster in batches; each worker process loads spaCy once and
runs the same extraction as the in-process path (search.entities.extract), so the entities are
the same. A worker that dies mid-batch costs that batch a rerun on another worker: the scheduler
reassigns the tasks of a lost worker (up to distributed's `allowed-failures`), and `retries`
covers a batch that raised. Results come back in order, with a bounded number of batches in flight.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from search.article import Article, Entities
from search.entities.extract import _job, _to_entities

BATCH_ARTICLES = 32
IN_FLIGHT_PER_WORKER = 2

_worker_extractor: Any = None  # one EntityExtractor per worker process, loaded on its first batch


def extract_batch(jobs: list[Any]) -> list[Any]:
    """Runs on a Dask worker: plain-data results for a batch of articles' jobs (outlet, parts)."""
    global _worker_extractor
    if _worker_extractor is None:
        from search.entities.extract import EntityExtractor

        _worker_extractor = EntityExtractor(workers=1)
    return list(_worker_extractor.extract_parts_many(jobs))


class DaskUnavailable(ConnectionError):
    """The scheduler cannot be reached; the message names it."""


class DaskExtractor:
    """An entity extractor (EntityExtractorLike) that runs spaCy on a Dask cluster."""

    def __init__(self, address: str, batch_size: int = BATCH_ARTICLES, retries: int = 2,
                 timeout: float = 10.0) -> None:
        from distributed import Client

        self.address = address
        self.batch_size = batch_size
        self.retries = retries
        try:
            self.client = Client(address, timeout=f"{timeout}s", set_as_default=False)
        except OSError as error:
            raise DaskUnavailable(f"the Dask scheduler at {address} cannot be reached ({error})") from None

    def extract_many(self, articles: Iterable[Article]) -> Iterator[Entities]:
        iterator = iter(articles)
        batches = iter(lambda: [_job(a) for a in islice(iterator, self.batch_size)], [])
        workers = max(1, len(self.client.scheduler_info().get("workers", {})))
        pending: deque = deque()
        for batch in batches:
            pending.append(self.client.submit(extract_batch, batch, retries=self.retries, pure=False))
            if len(pending) >= IN_FLIGHT_PER_WORKER * workers:
                yield from (_to_entities(r) for r in pending.popleft().result())
        while pending:
            yield from (_to_entities(r) for r in pending.popleft().result())

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> DaskExtractor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
