"""`dateline reindex --engine cluster.toml`: the corpus into a new generation of the cluster.

Always a full rebuild beside the live generation (the cluster keeps no manifest to compare
against), with the corpus-level person name map decided over it as the embedded engine does
(search.cluster.people); entities come from the entity cache in the cluster file's folder first, so a rebuild
re-runs spaCy only for new or changed articles. The reading and the entity pipeline are the
embedded indexer's (search.index.indexer).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from search.article import Article, Entities, Problem
from search.cluster.copies import GenerationCopies
from search.cluster.documents import ALIAS_KIND, ArticleRow, value_hash
from search.cluster.people import GenerationPeople
from search.cluster.spec import ClusterSpec
from search.cluster.writer import ClusterWriter
from search.index import store as index_store
from search.index.indexer import EntityExtractorLike, NothingRead, ReindexReport, cached_entities, with_entities

ENTITY_CACHE_FILE = "entities.sqlite"


def reindex_cluster(
    corpus: Sequence[Path],
    spec: ClusterSpec,
    *,
    workers: int | None = None,
    read_options=None,
    extractor: EntityExtractorLike | None = None,
    wait: bool = True,
    log: Callable[[str], None] | None = None,
) -> ReindexReport:
    """Raises ClusterWriteError (one line naming the node) or NothingRead; the live generation is
    then untouched."""
    from search.readers import ReadOptions, read_corpus

    started = time.perf_counter()
    workers = max(1, workers or os.cpu_count() or 1)
    report = ReindexReport(full=True, full_reason="the search cluster is always rebuilt whole")
    say = log or (lambda message: None)
    with index_store.writer_lock(spec.folder, wait=wait):
        writer = ClusterWriter(spec)
        try:
            generation = writer.new_generation()
            say(f"writing generation {generation.number} into slot {generation.slot}")
            batch = writer.batch(generation)
            seen: set[str] = set()

            def articles():
                for item in read_corpus(corpus, options=read_options or ReadOptions()):
                    if isinstance(item, Problem):
                        report.add_problem(item)
                        continue
                    if item.id in seen:
                        report.duplicates += 1
                        continue
                    seen.add(item.id)
                    report.read += 1
                    report.added += 1
                    if item.supplied is not None:
                        report.supplied += 1
                    yield item

            def entities(found: Iterable[Article]) -> Iterator[Entities]:
                return cached_entities(found, spec.folder / ENTITY_CACHE_FILE, extractor, workers, report)

            # Rows wait in a spool file until the whole corpus is read: the person name map is a
            # decision over the whole generation (search.cluster.people).
            # So are the groups of wire copies (search.cluster.copies).
            people = GenerationPeople()
            copies = GenerationCopies()
            with tempfile.TemporaryFile(dir=spec.folder, prefix="rebuild-", suffix=".jsonl") as spool:
                for article, found in with_entities(articles(), entities):
                    stored = ArticleRow.document(article, found, article.content_hash())
                    people.add(stored)
                    copies.add(article)
                    spool.write(ArticleRow.from_stored(stored, writer.analyzer).to_json() + b"\n")
                if report.read == 0:
                    where = ", ".join(str(p) for p in corpus)
                    raise NothingRead(f"no article could be read from {where}")
                say("deciding the person name map and the groups of wire copies")
                mapped = people.decide()
                groups = copies.groups()
                report.signed, report.copies = len(copies.signed), len(groups)
                hashes = [value_hash("person", label) for label in mapped.labels]
                labels = dict(zip(hashes, mapped.labels))
                spool.seek(0)
                for docnum, line in enumerate(spool):
                    row = ArticleRow.from_json(line).with_people([hashes[v] for v in mapped.of(docnum)], labels)
                    grouped = groups.get(str(row.values["aid"]))
                    batch.add_row((row.in_group(*grouped) if grouped else row).numbered(docnum))
            batch.add_names(
                (h, ALIAS_KIND, label)
                for h, label in ((value_hash("person", key), label) for key, label in mapped.aliases.items())
                if h not in labels
            )
            counts = batch.commit()
            for node in writer.publish(generation, counts):
                say(f"{node.label} at {node.address}: its copy of the live pointer lags (the next rebuild sets it)")
            report.written = True
            report.generation = f"generation {generation.number} (slot {generation.slot})"
            report.documents = sum(counts)
        finally:
            writer.close()
    report.seconds = time.perf_counter() - started
    return report
